"""Queries over exchanges: the one readable statement every list, page and export starts from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.models import Exchange, Institution, KnowledgeRequest, Offer, Role


def readable_statement(principal: Principal) -> Select[Exchange]:
    """Staff, brokers and admins read every exchange; an institution those it is a side of."""
    stmt = select(Exchange).order_by(Exchange.id)
    if principal.role == Role.institution:
        inst = principal.institution_id
        stmt = stmt.where(
            or_(Exchange.requester_institution_id == inst, Exchange.provider_institution_id == inst)
        )
    return stmt


def filtered(
    principal: Principal, *, status: str | None = None, institution_id: int | None = None
) -> Select[Exchange]:
    stmt = readable_statement(principal)
    if status:
        stmt = stmt.where(Exchange.status == status)
    if institution_id:
        stmt = stmt.where(
            or_(
                Exchange.requester_institution_id == institution_id,
                Exchange.provider_institution_id == institution_id,
            )
        )
    return stmt


def get_readable(
    session: Session, *, principal: Principal, exchange_id: int, lock: bool = False
) -> Exchange | None:
    stmt = readable_statement(principal).where(Exchange.id == exchange_id)
    if lock:
        stmt = stmt.with_for_update(of=Exchange)
    return session.scalars(stmt).first()


def for_match(session: Session, *, match_id: int) -> Exchange | None:
    return session.scalars(select(Exchange).where(Exchange.match_id == match_id)).first()


def ids_by_match(session: Session, *, principal: Principal, match_ids: list[int]) -> dict[int, int]:
    """The readable exchange of each of ``match_ids`` that has one: ``{match_id: exchange_id}``."""
    if not match_ids:
        return {}
    stmt = readable_statement(principal).where(Exchange.match_id.in_(set(match_ids)))
    return {e.match_id: e.id for e in session.scalars(stmt) if e.match_id is not None}


def titles_and_names(
    session: Session, *, exchanges: list[Exchange]
) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """For showing ``exchanges``: request titles, offer titles and institution names, each by id."""
    requests = {e.request_id for e in exchanges}
    offers = {e.offer_id for e in exchanges}
    institutions = {i for e in exchanges for i in (e.requester_institution_id, e.provider_institution_id)}
    return (
        _labels(session, KnowledgeRequest.id, KnowledgeRequest.title, requests),
        _labels(session, Offer.id, Offer.title, offers),
        _labels(session, Institution.id, Institution.name, institutions),
    )


def _labels(session: Session, key: Any, label: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {row[0]: row[1] for row in session.execute(select(key, label).where(key.in_(ids)))}
