"""Queries behind the staff pages: requests with their match counts and best scores, demand and supply."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from broker.matching import GOOD_FITS
from broker.models import Institution, KnowledgeRequest, Match, Offer, OfferStatus
from broker.ranking.codebook import confident_codes
from broker.repositories.common import text_search

GOOD_FIT_VALUES = [fit.value for fit in GOOD_FITS]


@dataclass(frozen=True, slots=True)
class RequestFilters:
    """Already resolved to codes: ``countries`` from a region, ``sectors`` from a sector group."""

    status: str | None = None
    countries: tuple[str, ...] | None = None
    sectors: tuple[str, ...] | None = None
    q: str | None = None
    unmet_only: bool = False  # only requests without a good (strong or possible) ranked match


@dataclass(frozen=True, slots=True)
class RequestSummary:
    request: KnowledgeRequest
    institution_name: str
    proposed: int
    best_score: float | None
    good: int = 0  # ranked matches that are a strong or possible fit


@dataclass(frozen=True, slots=True)
class Footprint:
    """Where a record sits on the gap map: its country and sector codes (the author's, or the
    confident suggestions when the author gave none)."""

    id: int
    country: str
    sectors: list[str]


def match_stats() -> Subquery:
    """Per request: how many matches are in its ranked list, the best of their scores, and how many
    are a good (strong or possible) fit.

    Only ranked matches (those in the last computed list) of offers that are still published count.
    """
    good = case((Match.fit.in_(GOOD_FIT_VALUES), 1), else_=0)
    return (
        select(
            Match.request_id.label("request_id"),
            func.count(Match.id).label("proposed"),
            func.max(Match.score).label("best_score"),
            func.sum(good).label("good"),
        )
        .join(Offer, Offer.id == Match.offer_id)
        .where(Match.rank.is_not(None), Offer.status == OfferStatus.published.value)
        .group_by(Match.request_id)
        .subquery("match_stats")
    )


def list_requests(
    session: Session, *, filters: RequestFilters, limit: int, offset: int
) -> tuple[list[RequestSummary], int]:
    stats = match_stats()
    stmt = (
        select(KnowledgeRequest, Institution.name, stats.c.proposed, stats.c.best_score, stats.c.good)
        .join(Institution, Institution.id == KnowledgeRequest.institution_id)
        .outerjoin(stats, stats.c.request_id == KnowledgeRequest.id)
    )
    if filters.status:
        stmt = stmt.where(KnowledgeRequest.status == filters.status)
    if filters.countries is not None:
        stmt = stmt.where(KnowledgeRequest.country.in_(filters.countries))
    if filters.sectors is not None:
        stmt = stmt.where(json_list_overlaps(session, KnowledgeRequest.sectors, filters.sectors))
    if filters.q:
        stmt = stmt.where(text_search(filters.q, KnowledgeRequest.search_text))
    if filters.unmet_only:
        stmt = stmt.where(or_(stats.c.good.is_(None), stats.c.good == 0))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.order_by(KnowledgeRequest.id.desc()).limit(limit).offset(offset)
    rows = [
        RequestSummary(
            request=r, institution_name=name, proposed=proposed or 0, best_score=best, good=good or 0
        )
        for r, name, proposed, best, good in session.execute(stmt)
    ]
    return rows, total


def footprints(
    session: Session, model: type[Offer] | type[KnowledgeRequest], *, status: str
) -> list[Footprint]:
    stmt = select(model.id, model.country, model.sectors, model.suggested).where(model.status == status)
    return [
        Footprint(id=i, country=c, sectors=list(s) or confident_codes(suggested, "sectors"))
        for i, c, s, suggested in session.execute(stmt.order_by(model.id))
    ]


def good_match_counts(session: Session, *, request_ids: Collection[int]) -> dict[int, int]:
    """How many good (strong or possible) ranked matches each ranked request has (see ``match_stats``)."""
    if not request_ids:
        return {}
    stats = match_stats()
    stmt = select(stats.c.request_id, stats.c.good)
    if len(request_ids) <= 1000:
        stmt = stmt.where(stats.c.request_id.in_(request_ids))
    wanted = set(request_ids)
    return {rid: int(good or 0) for rid, good in session.execute(stmt) if rid in wanted}


def _unranked(status: str) -> ColumnElement[bool]:
    return and_(KnowledgeRequest.status == status, ~exists().where(Match.request_id == KnowledgeRequest.id))


def unranked_request_ids(session: Session, *, status: str, limit: int) -> list[int]:
    """Requests with this status that have never had a match stored."""
    stmt = select(KnowledgeRequest.id).where(_unranked(status)).order_by(KnowledgeRequest.id).limit(limit)
    return list(session.scalars(stmt))


def count_unranked(session: Session, *, status: str) -> int:
    return session.scalar(select(func.count()).select_from(KnowledgeRequest).where(_unranked(status))) or 0


def offers_by_id(session: Session, *, ids: Sequence[int]) -> dict[int, tuple[Offer, Institution]]:
    stmt = select(Offer, Institution).join(Institution, Institution.id == Offer.institution_id)
    return {o.id: (o, i) for o, i in session.execute(stmt.where(Offer.id.in_(ids)))}


def requests_by_id(
    session: Session, *, ids: Sequence[int]
) -> dict[int, tuple[KnowledgeRequest, Institution]]:
    stmt = select(KnowledgeRequest, Institution).join(
        Institution, Institution.id == KnowledgeRequest.institution_id
    )
    return {r.id: (r, i) for r, i in session.execute(stmt.where(KnowledgeRequest.id.in_(ids)))}


def matches_by_id(session: Session, *, ids: Sequence[int]) -> dict[int, Match]:
    """Matches with their review history (loaded with them)."""
    return {m.id: m for m in session.scalars(select(Match).where(Match.id.in_(ids))).unique()}


def json_list_overlaps(session: Session, column: Any, values: Collection[str]) -> ColumnElement[bool]:
    """True where the JSON array of strings ``column`` holds any of ``values``."""
    if session.get_bind().dialect.name == "postgresql":
        each = func.jsonb_array_elements_text(column).table_valued("value")
    else:
        each = func.json_each(column).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value.in_(list(values))))
