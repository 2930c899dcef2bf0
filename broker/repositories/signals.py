"""Queries over institutions' signals on matches; rows are only ever appended."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.models import MatchSignal, Role
from broker.services.principal import Principal


def add(session: Session, signal: MatchSignal) -> MatchSignal:
    session.add(signal)
    return signal


def latest_per_side(signals: Iterable[MatchSignal]) -> list[MatchSignal]:
    """The newest signal of each institution among one match's ``signals``, requester first."""
    newest: dict[int, MatchSignal] = {}
    for signal in sorted(signals, key=lambda s: s.id):
        newest[signal.institution_id] = signal
    return sorted(newest.values(), key=lambda s: (s.side != "requester", s.institution_id))


def latest_for_institution(
    session: Session, *, institution_id: int, match_ids: Sequence[int]
) -> dict[int, MatchSignal]:
    """``{match_id: newest signal}`` of one institution on the given matches."""
    if not match_ids:
        return {}
    newest = (
        select(func.max(MatchSignal.id))
        .where(MatchSignal.institution_id == institution_id, MatchSignal.match_id.in_(match_ids))
        .group_by(MatchSignal.match_id)
    )
    rows = session.scalars(select(MatchSignal).where(MatchSignal.id.in_(newest)))
    return {s.match_id: s for s in rows}


def readable(signals: Iterable[MatchSignal], *, principal: Principal) -> list[MatchSignal]:
    """The latest signal per side that ``principal`` may read: staff every side, an institution its own."""
    latest = latest_per_side(signals)
    if principal.role != Role.institution:
        return latest
    return [s for s in latest if s.institution_id == principal.institution_id]
