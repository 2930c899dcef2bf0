"""Exchanges: what an accepted match became, its status moves and edits (each in its history), and
each side's report once it is completed.

Who may do what:
- staff and admins open an exchange from an accepted match (a second opening is a 409 naming the
  existing exchange), move its status along ``EXCHANGE_TRANSITIONS`` and edit every field;
- an institution that is a side edits its own contact (``requester_contact`` or
  ``provider_contact``) and, while the exchange is planned, the shared fields (modalities, dates,
  participants, budget); ``notes`` and the funding window are the broker team's;
- an exchange financed by a funding window names an open one, and its budget is in USD (it counts
  against the window's envelope);
- nothing but reports changes once an exchange is completed or cancelled;
- brokers read, like every reader of matches; an institution reads only exchanges it is a side of.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleVersion
from broker.models import (
    EXCHANGE_TRANSITIONS,
    Exchange,
    ExchangeChange,
    ExchangeReport,
    ExchangeSide,
    ExchangeStatus,
    KnowledgeRequest,
    MatchStatus,
    Offer,
    Role,
)
from broker.repositories import exchanges as repo
from broker.repositories.common import fetch_page
from broker.schemas.exchange import ExchangeCreate, ExchangeRead, ExchangeUpdate, ReportPut, StatusChange
from broker.services import audit, funding, reviews
from broker.services.language import detect_language
from broker.services.writes import check_version, flush

DECIDERS = (Role.staff, Role.admin)
SHARED = (
    "modalities",
    "starts_on",
    "ends_on",
    "participants",
    "budget_amount",
    "budget_currency",
    "budget_source",
)
EDITABLE = (*SHARED, "funding_window_id", "requester_contact", "provider_contact", "notes")
FINAL = (ExchangeStatus.completed.value, ExchangeStatus.cancelled.value)


def get_exchange(session: Session, *, principal: Principal, exchange_id: int, lock: bool = False) -> Exchange:
    found = repo.get_readable(session, principal=principal, exchange_id=exchange_id, lock=lock)
    if found is None:
        raise NotFound(f"exchange {exchange_id} not found")
    return found


def list_exchanges(
    session: Session,
    *,
    principal: Principal,
    status: str | None,
    institution_id: int | None,
    limit: int,
    offset: int,
) -> tuple[list[Exchange], int]:
    stmt = repo.filtered(principal, status=status, institution_id=institution_id)
    return fetch_page(session, stmt, limit=limit, offset=offset)


def open_exchange(session: Session, *, principal: Principal, match_id: int, data: ExchangeCreate) -> Exchange:
    """Open the exchange of an accepted match (staff, admin); 409 if it is not accepted or already open."""
    principal.require(*DECIDERS)
    match = reviews.get_match(session, principal=principal, match_id=match_id, lock=True)
    if match.status != MatchStatus.accepted:
        raise Conflict(f"match {match_id} is {match.status}: only an accepted match opens an exchange")
    existing = repo.for_match(session, match_id=match_id)
    if existing is not None:
        raise Conflict(f"match {match_id} already has exchange {existing.id}")
    request = session.get_one(KnowledgeRequest, match.request_id)
    offer = session.get_one(Offer, match.offer_id)
    given = data.model_dump(exclude_unset=True)
    defaults: dict[str, Any] = {
        "modalities": [m for m in offer.modalities if m in request.modalities] or list(offer.modalities),
        "participants": request.participants,
        "budget_amount": request.budget_usd,
        "budget_currency": "USD" if request.budget_usd is not None else None,
    }
    exchange = Exchange(
        match_id=match.id,
        request_id=request.id,
        offer_id=offer.id,
        requester_institution_id=request.institution_id,
        provider_institution_id=offer.institution_id,
        status=ExchangeStatus.planned.value,
        **(defaults | given),
    )
    _check_funding(session, exchange, changed=set(given))
    session.add(exchange)
    flush(session, what=f"the exchange of match {match_id}")
    _record(session, exchange, principal, from_status=None, fields=sorted(given), note=None)
    audit.record(session, event="exchange.opened", principal=principal, subject=f"exchange {exchange.id}",
                 detail={"match_id": match.id})  # fmt: skip
    return exchange


def update_exchange(
    session: Session, *, principal: Principal, exchange_id: int, data: ExchangeUpdate
) -> Exchange:
    exchange = get_exchange(session, principal=principal, exchange_id=exchange_id, lock=True)
    check_version(exchange, data.version, what=f"exchange {exchange_id}")
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if "modalities" in changes and changes["modalities"] is None:
        raise InvalidInput(
            [{"loc": ["body", "modalities"], "msg": "modalities cannot be null", "type": "null"}]
        )
    _check_may_edit(exchange, principal, set(changes))
    changed = sorted(k for k, v in changes.items() if getattr(exchange, k) != v)
    if not changed:
        return exchange
    before = {k: _plain(getattr(exchange, k)) for k in changed}
    for field in changed:
        setattr(exchange, field, changes[field])
    if exchange.starts_on and exchange.ends_on and exchange.ends_on < exchange.starts_on:
        raise Conflict("ends_on would fall before starts_on")
    _check_funding(session, exchange, changed=set(changed))
    flush(session, what=f"exchange {exchange_id}")
    _record(session, exchange, principal, from_status=exchange.status, fields=changed, note=None)
    after = {k: _plain(getattr(exchange, k)) for k in changed}
    audit.record(session, event="exchange.updated", principal=principal, subject=f"exchange {exchange_id}",
                 detail={"before": before, "after": after})  # fmt: skip
    return exchange


def move_status(session: Session, *, principal: Principal, exchange_id: int, data: StatusChange) -> Exchange:
    """Move the exchange along ``EXCHANGE_TRANSITIONS`` (staff, admin); completed sets completed_at."""
    principal.require(*DECIDERS)
    exchange = get_exchange(session, principal=principal, exchange_id=exchange_id, lock=True)
    check_version(exchange, data.version, what=f"exchange {exchange_id}")
    before = exchange.status
    if data.status.value not in EXCHANGE_TRANSITIONS[before]:
        allowed = ", ".join(sorted(EXCHANGE_TRANSITIONS[before])) or "none (it is final)"
        raise Conflict(f"exchange {exchange_id} is {before}: it can move to {allowed}")
    exchange.status = data.status.value
    if data.status == ExchangeStatus.completed:
        from broker.models.base import utcnow

        exchange.completed_at = utcnow()
    flush(session, what=f"exchange {exchange_id}")
    _record(session, exchange, principal, from_status=before, fields=["status"], note=data.note)
    audit.record(session, event="exchange.status", principal=principal, subject=f"exchange {exchange_id}",
                 detail={"from": before, "to": exchange.status})  # fmt: skip
    return exchange


def put_report(
    session: Session, *, principal: Principal, exchange_id: int, side: ExchangeSide, data: ReportPut
) -> Exchange:
    """Submit or replace one side's report of a completed exchange (that side, or staff and admins)."""
    exchange = get_exchange(session, principal=principal, exchange_id=exchange_id, lock=True)
    institution_id = _side_institution(exchange, side)
    if principal.role == Role.institution:
        if principal.institution_id != institution_id:
            raise Forbidden(f"an institution reports only on its own side of exchange {exchange_id}")
    else:
        principal.require(*DECIDERS)
    if exchange.status != ExchangeStatus.completed:
        raise Conflict(f"exchange {exchange_id} is {exchange.status}: reports come once it is completed")
    row = next((r for r in exchange.reports if r.side == side.value), None)
    what = f"the {side.value} report of exchange {exchange_id}"
    if row is None:
        if data.version != 0:
            raise StaleVersion(f"{what} does not exist yet (you sent version {data.version}, current is 0)")
        row = ExchangeReport(exchange_id=exchange.id, side=side.value, institution_id=institution_id)
        session.add(row)
    else:
        check_version(row, data.version, what=what)
    detected = detect_language(data.adopted) if data.adopted else None
    row.outcomes = list(data.outcomes)
    row.relevance = data.relevance
    row.usefulness = data.usefulness
    row.adopted = data.adopted
    row.adopted_language = detected[0] if detected else None
    row.evidence_links = list(data.evidence_links)
    row.actor_name = principal.name
    row.actor_key_id = principal.key_id
    row.actor_user_id = principal.user_id
    flush(session, what=what)
    _record(
        session, exchange, principal, from_status=exchange.status, fields=[f"{side.value}_report"], note=None
    )
    audit.record(session, event="exchange.reported", principal=principal, subject=f"exchange {exchange_id}",
                 detail={"side": side.value, "outcomes": row.outcomes})  # fmt: skip
    return exchange


def exchange_view(exchange: Exchange, *, principal: Principal) -> ExchangeRead:
    """The exchange as ``principal`` may see it: institutions do not see who on the broker team acted."""
    view = ExchangeRead.model_validate(exchange)
    if principal.role == Role.institution:
        view.changes = [
            c.model_copy(update={"actor_key_id": None, "actor_user_id": None,
                                 "actor_name": c.actor_name if c.actor_institution_id else None})
            for c in view.changes
        ]  # fmt: skip
        view.reports = [r.model_copy(update={"actor_name": None}) for r in view.reports]
    return view


def side_of(exchange: Exchange, principal: Principal) -> ExchangeSide | None:
    """The side ``principal``'s institution is on (None for staff or a stranger)."""
    if principal.role != Role.institution:
        return None
    if principal.institution_id == exchange.requester_institution_id:
        return ExchangeSide.requester
    if principal.institution_id == exchange.provider_institution_id:
        return ExchangeSide.provider
    return None


def editable_fields(exchange: Exchange, *, principal: Principal) -> frozenset[str]:
    """The fields ``principal`` may change on ``exchange`` now (empty once it is final)."""
    if exchange.status in FINAL:
        return frozenset()
    if principal.role in DECIDERS:
        return frozenset(EDITABLE)
    side = side_of(exchange, principal)
    if side is None:
        return frozenset()
    shared = set(SHARED) if exchange.status == ExchangeStatus.planned else set()
    return frozenset({f"{side.value}_contact"} | shared)


def allowed_moves(exchange: Exchange, *, principal: Principal) -> list[str]:
    """The statuses ``principal`` may move ``exchange`` to (staff and admins only)."""
    if principal.role not in DECIDERS:
        return []
    return sorted(EXCHANGE_TRANSITIONS[exchange.status])


def _check_may_edit(exchange: Exchange, principal: Principal, fields: set[str]) -> None:
    if exchange.status in FINAL and fields:
        raise Conflict(f"exchange {exchange.id} is {exchange.status}: it can no longer be edited")
    if principal.role in DECIDERS:
        return
    side = side_of(exchange, principal)
    if side is None:
        raise Forbidden("only staff, admins and the exchange's two institutions edit it")
    refused = sorted(fields - editable_fields(exchange, principal=principal))
    if refused:
        raise Forbidden(f"as the {side.value} you may not change: {', '.join(refused)}")


def _check_funding(session: Session, exchange: Exchange, *, changed: set[str]) -> None:
    """A newly named funding window is open; a funded exchange's budget is in USD (``InvalidInput``)."""
    if exchange.funding_window_id is None:
        return
    if "funding_window_id" in changed:
        funding.funder_of_window(session, window_id=exchange.funding_window_id)
    if exchange.budget_currency not in (None, "USD"):
        raise InvalidInput(
            [{"loc": ["body", "budget_currency"], "msg": "an exchange financed by a funding window "
              "has its budget in USD", "type": "value_error"}]
        )  # fmt: skip


def _side_institution(exchange: Exchange, side: ExchangeSide) -> int:
    if side == ExchangeSide.requester:
        return exchange.requester_institution_id
    return exchange.provider_institution_id


def _record(
    session: Session,
    exchange: Exchange,
    principal: Principal,
    *,
    from_status: str | None,
    fields: list[str],
    note: str | None,
) -> None:
    session.add(
        ExchangeChange(
            exchange_id=exchange.id,
            from_status=from_status,
            to_status=exchange.status,
            fields=fields,
            note=note,
            actor_name=principal.name,
            actor_key_id=principal.key_id,
            actor_user_id=principal.user_id,
            actor_institution_id=principal.institution_id if principal.role == Role.institution else None,
        )
    )
    session.flush()
    session.expire(exchange, ["changes", "reports"])


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value
