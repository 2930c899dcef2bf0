"""Funding windows: what a funder finances, and how much of it the exchanges it funds commit.

Who may do what:
- an institution whose kind is multilateral, government or private publishes and changes windows
  for itself (another kind is refused: it does not fund exchanges);
- staff and admins publish and change windows for any funder;
- every signed-in caller reads open windows; staff, brokers, admins and the funder read every one
  of its windows, drafts and closed ones too;
- a window that finances exchanges cannot be deleted (close it instead).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.errors import Conflict, Forbidden, InvalidInput, NotFound
from broker.models import FUNDER_KINDS, FundingWindow, FundingWindowStatus, Institution, Role
from broker.ranking.embedding import Encoder
from broker.ranking.embedding import store as embeddings
from broker.ranking.engine import MatchEngine
from broker.repositories import funding as repo
from broker.repositories.common import fetch_page
from broker.schemas.funding import (
    FundingWindowColumns,
    FundingWindowCreate,
    FundingWindowRead,
    FundingWindowUpdate,
    check_amounts_and_dates,
)
from broker.services import audit
from broker.services.understanding import understand_window
from broker.services.writes import apply_changes, check_version, flush, new_external_id

WRITERS = (Role.staff, Role.admin)
NULLABLE = {"external_id", "text_language"}
AMOUNTS_AND_DATES = ("max_per_exchange_usd", "envelope_usd", "opens_on", "closes_on")


def create_window(
    session: Session, *, principal: Principal, data: FundingWindowCreate, encoder: Encoder
) -> FundingWindow:
    institution = _funder(session, principal, data.institution_id)
    values = data.model_dump(exclude={"institution_id"})
    values["external_id"] = values["external_id"] or new_external_id("window")
    values["text_language_detected"] = values["text_language"] is None
    values["status"] = data.status.value
    window = FundingWindow(**values, institution_id=institution.id)
    understand_window(session, encoder=encoder, window=window)
    session.add(window)
    flush(session, what="the funding window")
    audit.record(session, event="funding_window.created", principal=principal, subject=f"funding window "
                 f"{window.id}", detail={"institution_id": institution.id})  # fmt: skip
    return window


def get_window(
    session: Session, *, principal: Principal, window_id: int, lock: bool = False
) -> FundingWindow:
    """One window; a window the caller may not read answers 404, so drafts do not leak."""
    found = repo.get_readable(session, principal=principal, window_id=window_id, lock=lock)
    if found is None:
        raise NotFound(f"funding window {window_id} not found")
    return found


def list_windows(
    session: Session,
    *,
    principal: Principal,
    institution_id: int | None,
    status: str | None,
    sector: str | None,
    region: str | None,
    limit: int,
    offset: int,
) -> tuple[list[FundingWindow], int]:
    stmt = repo.filtered(session, principal, institution_id=institution_id, status=status,
                         sector=sector, region=region)  # fmt: skip
    return fetch_page(session, stmt, limit=limit, offset=offset)


def update_window(
    session: Session, *, principal: Principal, window_id: int, data: FundingWindowUpdate, encoder: Encoder
) -> FundingWindow:
    window = get_window(session, principal=principal, window_id=window_id, lock=True)
    _check_may_write(principal, window.institution_id)
    what = f"funding window {window_id}"
    check_version(window, data.version, what=what)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if "text_language" in changes:  # the author's word, or (null) back to detection
        changes["text_language_detected"] = changes["text_language"] is None
    if "status" in changes and changes["status"] is not None:
        changes["status"] = changes["status"].value
    # Judged before any field is set, so a refused change leaves the loaded window as it was.
    refused = sorted(k for k, v in changes.items() if v is None and k not in NULLABLE)
    if refused:
        raise InvalidInput(
            [{"loc": ["body", k], "msg": f"{k} cannot be null", "type": "null"} for k in refused]
        )
    after = {k: changes.get(k, getattr(window, k)) for k in AMOUNTS_AND_DATES}
    try:
        check_amounts_and_dates(
            max_per_exchange=after["max_per_exchange_usd"],
            envelope=after["envelope_usd"],
            opens=after["opens_on"],
            closes=after["closes_on"],
        )
    except ValueError as exc:
        raise InvalidInput([{"loc": ["body"], "msg": str(exc), "type": "value_error"}]) from None
    apply_changes(window, changes, nullable=NULLABLE)
    understand_window(session, encoder=encoder, window=window)  # embedding: a no-op for an unchanged mandate
    flush(session, what=what)
    audit.record(session, event="funding_window.updated", principal=principal, subject=what,
                 detail={"fields": sorted(changes)})  # fmt: skip
    return window


def delete_window(session: Session, *, principal: Principal, window_id: int) -> None:
    window = get_window(session, principal=principal, window_id=window_id, lock=True)
    _check_may_write(principal, window.institution_id)
    what = f"funding window {window_id}"
    if repo.finances_exchanges(session, window_id=window_id):
        raise Conflict(f"{what} finances exchanges; close it instead so their funding is kept")
    session.delete(window)
    flush(session, what=what)
    audit.record(session, event="funding_window.deleted", principal=principal, subject=what, detail={})


def window_views(session: Session, *, windows: list[FundingWindow]) -> list[FundingWindowRead]:
    """The windows as read, each with what its exchanges commit and what remains (one query)."""
    committed = repo.committed_usd(session, window_ids=[w.id for w in windows])
    return [_view(w, committed[w.id]) for w in windows]


def window_view(session: Session, *, window: FundingWindow) -> FundingWindowRead:
    [view] = window_views(session, windows=[window])
    return view


def funder_of_window(session: Session, *, window_id: int) -> FundingWindow:
    """The open window an exchange names as its funding (``InvalidInput`` when it is not one)."""
    window = session.get(FundingWindow, window_id)
    if window is None or window.status != FundingWindowStatus.open:
        state = "does not exist" if window is None else f"is {window.status}, not open"
        raise InvalidInput(
            [{"loc": ["body", "funding_window_id"], "msg": f"funding window {window_id} {state}",
              "type": "value_error"}]
        )  # fmt: skip
    return window


def window_mandate_vector(session: Session, window: FundingWindow, engine: MatchEngine) -> embeddings.Vector:
    """The mandate's embedding under the engine's encoder, from the embedding cache (a read: a
    vector not stored yet, e.g. after a model change, is computed and not stored).

    Returns:
        float32 vector of shape (dim,), comparable with the requests' and offers' embeddings.
    """
    [vector] = embeddings.embed_windows(session, encoder=engine.encoder, windows=[window], store=False)
    return vector


def funder_choices(session: Session) -> list[tuple[int, str]]:
    """(id, name) of the institutions staff may publish a window for."""
    return repo.funders(session)


def funder_names(session: Session, *, windows: list[FundingWindow]) -> dict[int, str]:
    return repo.institution_names(session, ids={w.institution_id for w in windows})


def _check_may_write(principal: Principal, institution_id: int) -> None:
    if principal.role in WRITERS:
        return
    if principal.role == Role.institution:
        if principal.institution_id != institution_id:
            raise Forbidden("an institution changes only its own funding windows")
        return
    raise Forbidden(f"role {principal.role.value} cannot change funding windows")


def _funder(session: Session, principal: Principal, institution_id: int | None) -> Institution:
    if institution_id is None and principal.role == Role.institution:
        institution_id = principal.institution_id
    if institution_id is None:
        raise InvalidInput(_field_error("institution_id", "required for staff and admin callers"))
    _check_may_write(principal, institution_id)
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise InvalidInput(_field_error("institution_id", f"institution {institution_id} does not exist"))
    if institution.kind not in FUNDER_KINDS:
        kinds = ", ".join(k.value for k in FUNDER_KINDS)
        raise InvalidInput(
            _field_error("institution_id", f"institution {institution_id} is of kind {institution.kind}: "
                         f"only {kinds} institutions fund exchanges")
        )  # fmt: skip
    return institution


def _view(window: FundingWindow, committed: float) -> FundingWindowRead:
    columns = FundingWindowColumns.model_validate(window).model_dump()
    return FundingWindowRead(
        **columns, committed_usd=committed, remaining_usd=window.envelope_usd - committed
    )


def _field_error(field: str, msg: str) -> list[dict[str, Any]]:
    return [{"loc": ["body", field], "msg": msg, "type": "value_error"}]
