from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from broker.models import ApiKey, Institution, KnowledgeRequest, Offer
from broker.repositories.common import fetch_page, text_search


def list_institutions(
    session: Session, *, country: str | None, kind: str | None, q: str | None, limit: int, offset: int
) -> tuple[list[Institution], int]:
    stmt = select(Institution).order_by(Institution.id)
    if country:
        stmt = stmt.where(Institution.country == country)
    if kind:
        stmt = stmt.where(Institution.kind == kind)
    if q:
        stmt = stmt.where(text_search(q, Institution.search_text))
    return fetch_page(session, stmt, limit=limit, offset=offset)


def has_dependents(session: Session, institution_id: int) -> bool:
    """Whether offers, requests or API keys still belong to the institution."""
    return any(
        session.scalar(select(exists().where(model.institution_id == institution_id)))
        for model in (Offer, KnowledgeRequest, ApiKey)
    )
