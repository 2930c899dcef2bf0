"""Queries over offers and requests, which share their filterable columns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, or_, select
from sqlalchemy.orm import Session

from broker.models import Institution, KnowledgeRequest, Offer, OfferStatus, RequestStatus, Role
from broker.repositories.common import fetch_page, json_list_contains, text_search
from broker.services.principal import Principal

KnowledgeModel = type[Offer] | type[KnowledgeRequest]

# What an institution key may see of other institutions' records.
PUBLIC_STATUSES: dict[type, tuple[str, ...]] = {
    Offer: (OfferStatus.published.value,),
    KnowledgeRequest: (RequestStatus.open.value, RequestStatus.matched.value, RequestStatus.closed.value),
}


@dataclass(frozen=True, slots=True)
class KnowledgeFilters:
    country: str | None = None
    sector: str | None = None
    modality: str | None = None
    status: str | None = None
    institution_id: int | None = None
    q: str | None = None


def visibility(model: KnowledgeModel, principal: Principal) -> ColumnElement[bool] | None:
    """The rows ``principal`` may read, as a WHERE clause (None: everything)."""
    if principal.role != Role.institution:
        return None
    public = model.status.in_(PUBLIC_STATUSES[model])
    return or_(model.institution_id == principal.institution_id, public)


def is_visible(item: Offer | KnowledgeRequest, principal: Principal) -> bool:
    if principal.role != Role.institution:
        return True
    return item.institution_id == principal.institution_id or item.status in PUBLIC_STATUSES[type(item)]


def list_items(
    session: Session,
    model: KnowledgeModel,
    *,
    principal: Principal,
    filters: KnowledgeFilters,
    limit: int,
    offset: int,
) -> tuple[list[Offer] | list[KnowledgeRequest], int]:
    stmt = select(model).order_by(model.id)
    clause = visibility(model, principal)
    if clause is not None:
        stmt = stmt.where(clause)
    if filters.country:
        stmt = stmt.where(model.country == filters.country)
    if filters.status:
        stmt = stmt.where(model.status == filters.status)
    if filters.institution_id:
        stmt = stmt.where(model.institution_id == filters.institution_id)
    if filters.sector:
        stmt = stmt.where(json_list_contains(session, model.sectors, filters.sector))
    if filters.modality:
        stmt = stmt.where(json_list_contains(session, model.modalities, filters.modality))
    if filters.q:
        stmt = stmt.where(text_search(filters.q, model.search_text))
    return fetch_page(session, stmt, limit=limit, offset=offset)  # type: ignore[return-value]


def summaries(
    session: Session, *, model: type[Offer] | type[KnowledgeRequest], ids: Sequence[int]
) -> list[Row[Any]]:
    """(id, title, institution_id, institution_name, country) of the given offers or requests."""
    if not ids:
        return []
    stmt = (
        select(
            model.id,
            model.title,
            model.institution_id,
            Institution.name.label("institution_name"),
            model.country,
        )
        .join(Institution, Institution.id == model.institution_id)
        .where(model.id.in_(ids))
    )
    return list(session.execute(stmt))
