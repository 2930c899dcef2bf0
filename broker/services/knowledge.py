"""Offers and requests: the same write rules apply to both, so one module serves them."""

from __future__ import annotations

from datetime import date
from typing import Any, TypeVar

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from broker.errors import Conflict, InvalidInput, NotFound
from broker.models import Institution, KnowledgeRequest, Match, MatchReview, Offer, Role
from broker.ranking.embedding import Encoder
from broker.repositories import knowledge as repo
from broker.schemas.knowledge import OfferCreate, OfferUpdate, RequestCreate, RequestUpdate
from broker.services.principal import Principal
from broker.services.understanding import understand_items
from broker.services.writes import (
    apply_changes,
    check_version,
    flush,
    new_external_id,
)

Item = TypeVar("Item", Offer, KnowledgeRequest)

LABEL: dict[type, str] = {Offer: "offer", KnowledgeRequest: "request"}
NULLABLE: dict[type, set[str]] = {
    Offer: {"results", "cost_usd", "capacity_per_year", "available_from", "available_until"},
    KnowledgeRequest: {"budget_usd", "participants", "timeframe_start", "timeframe_end"},
}
WINDOWS: dict[type, tuple[str, str]] = {
    Offer: ("available_from", "available_until"),
    KnowledgeRequest: ("timeframe_start", "timeframe_end"),
}


def create_item(
    session: Session,
    model: type[Item],
    *,
    principal: Principal,
    data: OfferCreate | RequestCreate,
    encoder: Encoder,
) -> Item:
    institution = _owning_institution(session, principal, data.institution_id)
    item = build_item(model, data, institution)
    understand_items(session, encoder=encoder, items=[item])
    session.add(item)
    flush(session, what=LABEL[model])
    return item


def build_item(model: type[Item], data: OfferCreate | RequestCreate, institution: Institution) -> Item:
    """A new offer or request with the institution's country and languages as defaults."""
    values = item_values(data, institution)
    values["external_id"] = values["external_id"] or new_external_id(LABEL[model])
    return model(**values, institution_id=institution.id)


def item_values(data: OfferCreate | RequestCreate, institution: Institution) -> dict[str, Any]:
    """The column values ``build_item`` would set, for comparing with a stored row on re-import."""
    values = data.model_dump(exclude={"institution_id"})
    values["country"] = values["country"] or institution.country
    values["languages"] = values["languages"] or list(institution.languages)
    values["text_language_detected"] = values["text_language"] is None
    return values


def get_item(session: Session, model: type[Item], *, principal: Principal, item_id: int) -> Item:
    """Fetch one record; records the caller may not see answer 404, so drafts do not leak."""
    item = session.get(model, item_id)
    if item is None or not repo.is_visible(item, principal):
        raise NotFound(f"{LABEL[model]} {item_id} not found")
    return item


def list_items(
    session: Session,
    model: type[Item],
    *,
    principal: Principal,
    filters: repo.KnowledgeFilters,
    limit: int,
    offset: int,
) -> tuple[list[Item], int]:
    return repo.list_items(  # type: ignore[return-value]
        session, model, principal=principal, filters=filters, limit=limit, offset=offset
    )


def update_item(
    session: Session,
    model: type[Item],
    *,
    principal: Principal,
    item_id: int,
    data: OfferUpdate | RequestUpdate,
    encoder: Encoder,
) -> Item:
    item = get_item(session, model, principal=principal, item_id=item_id)
    principal.require_write_for(item.institution_id)
    what = f"{LABEL[model]} {item_id}"
    check_version(item, data.version, what=what)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if "text_language" in changes:  # the author's word, or (null) back to detection
        changes["text_language_detected"] = changes["text_language"] is None
    apply_changes(item, changes, nullable=NULLABLE[model] | {"text_language"})
    start, end = (getattr(item, name) for name in WINDOWS[model])
    if isinstance(start, date) and isinstance(end, date) and start > end:
        raise InvalidInput(
            [
                {
                    "loc": ["body", WINDOWS[model][0]],
                    "msg": "the start date is after the end date",
                    "type": "value_error",
                }
            ]
        )
    understand_items(session, encoder=encoder, items=[item])  # embedding: a no-op for unchanged text
    flush(session, what=what)
    return item


def delete_item(session: Session, model: type[Item], *, principal: Principal, item_id: int) -> None:
    item = get_item(session, model, principal=principal, item_id=item_id)
    principal.require_write_for(item.institution_id)
    column = Match.offer_id if model is Offer else Match.request_id
    reviewed = select(MatchReview.id).join(Match).where(column == item.id)
    if session.scalar(select(exists(reviewed))):
        status = "archive the offer" if model is Offer else "close the request"
        raise Conflict(
            f"{LABEL[model]} {item_id} has reviewed matches; {status} instead so the reviews are kept"
        )
    session.delete(item)
    flush(session, what=f"{LABEL[model]} {item_id}")


def _owning_institution(session: Session, principal: Principal, institution_id: int | None) -> Institution:
    if institution_id is None and principal.role == Role.institution:
        institution_id = principal.institution_id
    if institution_id is None:
        raise InvalidInput(_field_error("institution_id", "required for broker and admin keys"))
    principal.require_write_for(institution_id)
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise InvalidInput(_field_error("institution_id", f"institution {institution_id} does not exist"))
    return institution


def _field_error(field: str, msg: str) -> list[dict[str, Any]]:
    return [{"loc": ["body", field], "msg": msg, "type": "value_error"}]
