"""Queries behind the staff pages: requests with their match counts and best scores, demand and supply."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Subquery, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from broker.matching import GOOD_FITS
from broker.models import (
    ApiKey,
    AssignmentStatus,
    Institution,
    KnowledgeRequest,
    Match,
    MatchStatus,
    Offer,
    OfferStatus,
    RequestAssignment,
    User,
)
from broker.ranking.codebook import confident_codes
from broker.repositories.common import text_search

GOOD_FIT_VALUES = [fit.value for fit in GOOD_FITS]
UNASSIGNED = 0  # ``RequestFilters.assignee_key_id`` for requests nobody looks after


@dataclass(frozen=True, slots=True)
class Sort:
    """A list's order: one of the list's sort keys, ascending unless ``descending``."""

    key: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class RequestFilters:
    """Already resolved to codes: ``countries`` from a region, ``sectors`` from a sector group."""

    status: str | None = None
    countries: tuple[str, ...] | None = None
    sectors: tuple[str, ...] | None = None
    q: str | None = None
    unmet_only: bool = False  # only requests without a good (strong or possible) ranked match
    assignee_key_id: int | None = None  # UNASSIGNED: nobody
    assignee_user_id: int | None = None
    assignment_status: str | None = None  # "new" includes requests never assigned


@dataclass(frozen=True, slots=True)
class RequestSummary:
    request: KnowledgeRequest
    institution_name: str
    proposed: int
    best_score: float | None
    good: int = 0  # ranked matches that are a strong or possible fit
    assignment: RequestAssignment | None = None


@dataclass(frozen=True, slots=True)
class OfferFilters:
    """Already resolved to codes, like ``RequestFilters``."""

    status: str | None = None
    countries: tuple[str, ...] | None = None
    sectors: tuple[str, ...] | None = None
    modality: str | None = None
    language: str | None = None
    institution_id: int | None = None
    q: str | None = None


@dataclass(frozen=True, slots=True)
class OfferSummary:
    offer: Offer
    institution_name: str


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
    session: Session, *, filters: RequestFilters, sort: Sort, limit: int, offset: int
) -> tuple[list[RequestSummary], int]:
    stats = match_stats()
    stmt = (
        select(
            KnowledgeRequest,
            Institution.name,
            stats.c.proposed,
            stats.c.best_score,
            stats.c.good,
            RequestAssignment,
        )
        .join(Institution, Institution.id == KnowledgeRequest.institution_id)
        .outerjoin(stats, stats.c.request_id == KnowledgeRequest.id)
        .outerjoin(RequestAssignment, RequestAssignment.request_id == KnowledgeRequest.id)
    )
    if filters.status:
        stmt = stmt.where(KnowledgeRequest.status == filters.status)
    if filters.countries is not None:
        stmt = stmt.where(KnowledgeRequest.country.in_(filters.countries))
    if filters.sectors is not None:
        stmt = stmt.where(
            sectors_overlap(session, KnowledgeRequest.sectors, KnowledgeRequest.suggested, filters.sectors)
        )
    if filters.q:
        stmt = stmt.where(text_search(filters.q, KnowledgeRequest.search_text))
    if filters.unmet_only:
        stmt = stmt.where(or_(stats.c.good.is_(None), stats.c.good == 0))
    if filters.assignee_key_id == UNASSIGNED:
        stmt = stmt.where(RequestAssignment.assignee_key_id.is_(None))
    elif filters.assignee_key_id is not None:
        stmt = stmt.where(RequestAssignment.assignee_key_id == filters.assignee_key_id)
    if filters.assignee_user_id is not None:
        stmt = stmt.where(RequestAssignment.assignee_user_id == filters.assignee_user_id)
    if filters.assignment_status == AssignmentStatus.new.value:
        stmt = stmt.where(or_(RequestAssignment.id.is_(None), RequestAssignment.status == "new"))
    elif filters.assignment_status:
        stmt = stmt.where(RequestAssignment.status == filters.assignment_status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    columns: dict[str, Any] = {
        "title": func.lower(KnowledgeRequest.title),
        "country": KnowledgeRequest.country,
        "updated": KnowledgeRequest.updated_at,
        "created": KnowledgeRequest.id,
        "matches": func.coalesce(stats.c.proposed, 0),
        "best": stats.c.best_score,
        "due": RequestAssignment.due_on,
        "assignee": func.lower(RequestAssignment.assignee_name),
        "budget": KnowledgeRequest.budget_usd,
    }
    stmt = stmt.order_by(*_order(columns[sort.key], sort), KnowledgeRequest.id.desc())
    rows = [
        RequestSummary(
            request=r,
            institution_name=name,
            proposed=proposed or 0,
            best_score=best,
            good=good or 0,
            assignment=assignment,
        )
        for r, name, proposed, best, good, assignment in session.execute(stmt.limit(limit).offset(offset))
    ]
    return rows, total


REQUEST_SORTS = ("title", "country", "updated", "created", "matches", "best", "due", "assignee", "budget")
OFFER_SORTS = ("title", "institution", "country", "updated", "created", "cost")


def list_offers(
    session: Session, *, filters: OfferFilters, sort: Sort, limit: int, offset: int
) -> tuple[list[OfferSummary], int]:
    stmt = select(Offer, Institution.name).join(Institution, Institution.id == Offer.institution_id)
    if filters.status:
        stmt = stmt.where(Offer.status == filters.status)
    if filters.countries is not None:
        stmt = stmt.where(Offer.country.in_(filters.countries))
    if filters.sectors is not None:
        stmt = stmt.where(sectors_overlap(session, Offer.sectors, Offer.suggested, filters.sectors))
    if filters.modality:
        stmt = stmt.where(json_list_overlaps(session, Offer.modalities, [filters.modality]))
    if filters.language:
        stmt = stmt.where(json_list_overlaps(session, Offer.languages, [filters.language]))
    if filters.institution_id is not None:
        stmt = stmt.where(Offer.institution_id == filters.institution_id)
    if filters.q:
        stmt = stmt.where(text_search(filters.q, Offer.search_text))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    columns: dict[str, Any] = {
        "title": func.lower(Offer.title),
        "institution": func.lower(Institution.name),
        "country": Offer.country,
        "updated": Offer.updated_at,
        "created": Offer.id,
        "cost": Offer.cost_usd,
    }
    stmt = stmt.order_by(*_order(columns[sort.key], sort), Offer.id.desc())
    rows = [
        OfferSummary(offer=o, institution_name=name)
        for o, name in session.execute(stmt.limit(limit).offset(offset))
    ]
    return rows, total


def _order(column: Any, sort: Sort) -> list[Any]:
    # Empty values last whichever the direction, so "cost, highest first" starts with real costs.
    return [column.is_(None), column.desc() if sort.descending else column.asc()]


def institutions_with_offers(session: Session) -> list[tuple[int, str]]:
    """(id, name) of every institution that has an offer, by name: the offers list's filter."""
    stmt = (
        select(Institution.id, Institution.name)
        .where(exists().where(Offer.institution_id == Institution.id))
        .order_by(func.lower(Institution.name), Institution.id)
    )
    return [(i, n) for i, n in session.execute(stmt)]


def assignment_for(session: Session, *, request_id: int, lock: bool = False) -> RequestAssignment | None:
    stmt = select(RequestAssignment).where(RequestAssignment.request_id == request_id)
    return session.scalar(stmt.with_for_update() if lock else stmt)


def active_keys(session: Session, *, roles: Collection[str]) -> list[ApiKey]:
    """Keys with one of ``roles`` that are neither revoked nor expired, by name."""
    now = func.now()
    stmt = (
        select(ApiKey)
        .where(
            ApiKey.role.in_(list(roles)),
            ApiKey.revoked_at.is_(None),
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
        )
        .order_by(func.lower(ApiKey.name), ApiKey.id)
    )
    return list(session.scalars(stmt))


def active_users(session: Session, *, roles: Collection[str]) -> list[User]:
    """People with one of ``roles`` whose account is not disabled, by name."""
    stmt = (
        select(User)
        .where(User.role.in_(list(roles)), User.disabled_at.is_(None))
        .order_by(func.lower(User.display_name), User.id)
    )
    return list(session.scalars(stmt))


def shortlisted_matches(session: Session, *, request_id: int) -> list[tuple[Match, Offer, Institution]]:
    """The request's shortlisted matches with their offers, best ranked first (unranked ones last)."""
    stmt = (
        select(Match, Offer, Institution)
        .join(Offer, Offer.id == Match.offer_id)
        .join(Institution, Institution.id == Offer.institution_id)
        .where(Match.request_id == request_id, Match.status == MatchStatus.shortlisted.value)
        .order_by(Match.rank.is_(None), Match.rank, Match.score.desc(), Match.id)
    )
    return [(m, o, i) for m, o, i in session.execute(stmt).unique()]


def matches_of_offers(
    session: Session, *, request_id: int, offer_ids: Sequence[int]
) -> dict[int, tuple[Match, Offer, Institution]]:
    """The stored matches of ``request_id`` with these offers, by offer id (absent: never matched)."""
    stmt = (
        select(Match, Offer, Institution)
        .join(Offer, Offer.id == Match.offer_id)
        .join(Institution, Institution.id == Offer.institution_id)
        .where(Match.request_id == request_id, Match.offer_id.in_(list(offer_ids)))
    )
    return {o.id: (m, o, i) for m, o, i in session.execute(stmt).unique()}


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


def sectors_overlap(
    session: Session, sectors: Any, suggested: Any, values: Collection[str]
) -> ColumnElement[bool]:
    """The author's sectors overlap ``values``, or (none given) a confident suggested sector does.

    The same rule as the gap map's footprints (``broker.ranking.codebook.confident_codes``), so a
    gap cell and the list it links to count the same records.
    """
    wanted = list(values)
    code: Any
    if session.get_bind().dialect.name == "postgresql":
        entries = func.jsonb_array_elements(suggested["sectors"]).table_valued("value")
        code = entries.c.value.op("->>")("code")
        confident = entries.c.value.op("->>")("confident") == "true"
        empty = func.jsonb_array_length(sectors) == 0
    else:
        entries = func.json_each(suggested, "$.sectors").table_valued("value")
        code = func.json_extract(entries.c.value, "$.code")
        confident = func.json_extract(entries.c.value, "$.confident") == 1
        empty = func.json_array_length(sectors) == 0
    guessed = exists(select(literal(1)).select_from(entries).where(confident, code.in_(wanted)))
    return or_(json_list_overlaps(session, sectors, wanted), and_(empty, guessed))
