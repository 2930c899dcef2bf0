"""Queries over funding windows: the one readable statement every list and page starts from, and
what the exchanges they finance commit."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from broker import reference
from broker.auth import Principal
from broker.models import (
    FUNDER_KINDS,
    Exchange,
    ExchangeStatus,
    FundingWindow,
    FundingWindowStatus,
    Institution,
    Role,
)
from broker.repositories.common import json_list_contains

# What an institution sees of other funders' windows.
PUBLIC_STATUSES = (FundingWindowStatus.open.value,)


def readable_statement(principal: Principal) -> Select[FundingWindow]:
    """Staff, brokers and admins read every window; an institution its own and every open one."""
    stmt = select(FundingWindow).order_by(FundingWindow.id)
    if principal.role == Role.institution:
        stmt = stmt.where(
            or_(
                FundingWindow.institution_id == principal.institution_id,
                FundingWindow.status.in_(PUBLIC_STATUSES),
            )
        )
    return stmt


def filtered(
    session: Session,
    principal: Principal,
    *,
    institution_id: int | None = None,
    status: str | None = None,
    sector: str | None = None,
    region: str | None = None,
) -> Select[FundingWindow]:
    """Readable windows; ``sector`` matches a window naming the code, its group or (for a group) one
    of its codes; ``region`` one naming the M49 code on either side."""
    stmt = readable_statement(principal)
    if institution_id:
        stmt = stmt.where(FundingWindow.institution_id == institution_id)
    if status:
        stmt = stmt.where(FundingWindow.status == status)
    if sector:
        codes = _sector_and_kin(sector)
        stmt = stmt.where(or_(*(json_list_contains(session, FundingWindow.sectors, c) for c in codes)))
    if region:
        stmt = stmt.where(
            or_(
                json_list_contains(session, FundingWindow.receiving_regions, region),
                json_list_contains(session, FundingWindow.providing_regions, region),
            )
        )
    return stmt


def _sector_and_kin(code: str) -> list[str]:
    """A purpose code and its group, or a group and its purpose codes (unknown: the code alone)."""
    ref = reference.get_reference()
    if len(code) == 5:
        group = ref.sector_group(code)
        return [code, group.code] if group else [code]
    return [code, *(s.code for s in ref.sectors if s.group == code)]


def get_readable(
    session: Session, *, principal: Principal, window_id: int, lock: bool = False
) -> FundingWindow | None:
    stmt = readable_statement(principal).where(FundingWindow.id == window_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def committed_usd(session: Session, *, window_ids: Sequence[int]) -> dict[int, float]:
    """Per window: the budgets of the exchanges it finances that are not cancelled (0 for none)."""
    found = dict.fromkeys(window_ids, 0.0)
    if window_ids:
        stmt = (
            select(Exchange.funding_window_id, func.coalesce(func.sum(Exchange.budget_amount), 0.0))
            .where(
                Exchange.funding_window_id.in_(set(window_ids)),
                Exchange.status != ExchangeStatus.cancelled.value,
            )
            .group_by(Exchange.funding_window_id)
        )
        for window_id, total in session.execute(stmt):
            if window_id is not None:  # the IN above excludes NULL; mypy cannot tell
                found[window_id] = float(total or 0.0)
    return found


def finances_exchanges(session: Session, *, window_id: int) -> bool:
    stmt = select(Exchange.id).where(Exchange.funding_window_id == window_id).limit(1)
    return session.scalar(stmt) is not None


def funders(session: Session) -> list[tuple[int, str]]:
    """(id, name) of every institution that may publish windows, by name."""
    stmt = (
        select(Institution.id, Institution.name)
        .where(Institution.kind.in_([k.value for k in FUNDER_KINDS]))
        .order_by(Institution.name, Institution.id)
    )
    return [(row[0], row[1]) for row in session.execute(stmt)]


def institution_names(session: Session, *, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    stmt = select(Institution.id, Institution.name).where(Institution.id.in_(ids))
    return {row[0]: row[1] for row in session.execute(stmt)}
