"""Queries and upserts of proposed matches; review rows are never touched here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, lazyload

from broker.models import Match, Offer
from broker.models.base import utcnow
from broker.repositories.knowledge import visibility
from broker.services.principal import Principal

RECOMPUTED = (
    "profile",
    "score",
    "rank",
    "components",
    "contributions",
    "estimated_cost_usd",
    "reasons",
    "reasons_detail",
    "fit",
    "computed_at",
)


def _upsert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def upsert_ranked(session: Session, *, request_id: int, rows: Sequence[dict[str, Any]]) -> None:
    """Insert or refresh the ranked pairs of one request, keeping each match's status and reviews.

    A concurrent recompute of the same request cannot collide: the unique (request, offer) key turns
    the second insert into an update.
    """
    if not rows:
        return
    now = utcnow()
    values = [
        {
            **row,
            "request_id": request_id,
            "computed_at": now,
            "status": "proposed",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for row in rows
    ]
    stmt: Insert = _upsert(session)(Match).values(values)
    excluded = stmt.excluded  # type: ignore[attr-defined]
    refreshed = {name: getattr(excluded, name) for name in RECOMPUTED}
    stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
        index_elements=["request_id", "offer_id"],
        set_={**refreshed, "version": Match.version + 1, "updated_at": now},
    )
    session.execute(stmt)


def unrank_others(session: Session, *, request_id: int, keep_offer_ids: Sequence[int]) -> None:
    """Matches that fell out of the ranked list keep their row (and reviews) but lose their rank."""
    session.execute(
        update(Match)
        .where(Match.request_id == request_id, Match.rank.is_not(None), Match.offer_id.not_in(keep_offer_ids))
        .values(rank=None, version=Match.version + 1, updated_at=utcnow()),
        execution_options={"synchronize_session": False},
    )


def matches_for_request(
    session: Session, *, principal: Principal, request_id: int, limit: int
) -> list[Match]:
    """Stored matches of a request whose offer ``principal`` may read: ranked ones first by rank, then
    the rest by score. (An offer its owner turned back into a draft leaves an institution's list.)"""
    stmt = (
        select(Match)
        .where(Match.request_id == request_id)
        .order_by(Match.rank.is_(None), Match.rank, Match.score.desc(), Match.offer_id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    readable = visibility(Offer, principal)
    if readable is not None:
        stmt = stmt.join(Offer, Offer.id == Match.offer_id).where(readable)
    return list(session.scalars(stmt).unique())


def ensure_unranked(session: Session, *, request_id: int, row: dict[str, Any]) -> Match:
    """The pair's match; inserted as a proposal outside the ranked list (rank null) when it has none.

    A concurrent insert of the same pair (a ranking storing its list) wins without an error: the
    insert does nothing on the unique (request, offer) key, and the row is read back.
    """
    now = utcnow()
    values = {**row, "rank": None, "request_id": request_id, "computed_at": now, "status": "proposed",
              "version": 1, "created_at": now, "updated_at": now}  # fmt: skip
    stmt = _upsert(session)(Match).values(values)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["request_id", "offer_id"]))
    found = select(Match).where(Match.request_id == request_id, Match.offer_id == row["offer_id"])
    return session.scalars(found).one()


def ranked_for_request(session: Session, *, request_id: int) -> dict[int, Match]:
    """The request's ranked matches (rank set) by offer id, fresh from the database."""
    stmt = (
        select(Match)
        .where(Match.request_id == request_id, Match.rank.is_not(None))
        .options(lazyload("*"))  # the columns are compared and returned; no relationship is read
        .execution_options(populate_existing=True)
    )
    return {m.offer_id: m for m in session.scalars(stmt).unique()}


def existing_for_offer(session: Session, *, offer_id: int, request_ids: Sequence[int]) -> dict[int, Match]:
    stmt = select(Match).where(Match.offer_id == offer_id, Match.request_id.in_(request_ids))
    return {m.request_id: m for m in session.scalars(stmt).unique()}
