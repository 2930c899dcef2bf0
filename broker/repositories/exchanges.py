"""Queries over exchanges: the one readable statement every list, page and export starts from."""

from __future__ import annotations

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.models import Exchange, Role


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
