"""What the staff pages show: request lists with their best matches, ranked offers, ranked requests.

Ranking goes through ``broker.ranking.service`` and decisions through ``broker.services.reviews``,
exactly as for the JSON API; this module only gathers what a page puts next to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from broker.errors import InvalidInput
from broker.matching import FACTORS
from broker.models import Institution, KnowledgeRequest, Match, Offer, RequestStatus
from broker.ranking import service as matching
from broker.ranking.engine import MatchEngine
from broker.reference import get_reference
from broker.repositories import workspace as repo
from broker.schemas.ranking import RankedItem, RankedList
from broker.services import knowledge
from broker.services.principal import Principal
from broker.services.ui_sessions import WORKSPACE_ROLES

PAGE_SIZE = 50
RANKED_LIMIT = 10
ALL_STATUSES = "all"


@dataclass(frozen=True, slots=True)
class RequestListing:
    rows: list[repo.RequestSummary]
    total: int

    def unmet(self, row: repo.RequestSummary) -> bool:
        """No good (strong or possible) ranked match, or never ranked."""
        return row.good == 0


@dataclass(frozen=True, slots=True)
class OfferCandidate:
    item: RankedItem
    offer: Offer
    institution: Institution
    match: Match | None  # the stored match, with its review history

    def over_budget(self, budget: float | None) -> bool:
        cost = self.item.estimated_cost_usd
        return budget is not None and cost is not None and cost > budget


@dataclass(frozen=True, slots=True)
class RequestPage:
    request: KnowledgeRequest
    institution: Institution
    ranking: RankedList
    candidates: list[OfferCandidate]
    factors: tuple[str, ...] = FACTORS


@dataclass(frozen=True, slots=True)
class RequestCandidate:
    item: RankedItem
    request: KnowledgeRequest
    institution: Institution


@dataclass(frozen=True, slots=True)
class OfferPage:
    offer: Offer
    institution: Institution
    ranking: RankedList
    candidates: list[RequestCandidate]
    factors: tuple[str, ...] = FACTORS


def list_requests(
    session: Session,
    *,
    principal: Principal,
    status: str | None,
    region: str | None,
    sector_group: str | None,
    q: str | None,
    unmet_only: bool,
    offset: int,
    limit: int = PAGE_SIZE,
) -> RequestListing:
    """Requests (open ones unless ``status`` says otherwise) with their match count and best score."""
    principal.require(*WORKSPACE_ROLES)
    ref = get_reference()
    countries = None
    if region:
        found = ref.region(region)
        if found is None:
            raise InvalidInput(f"unknown region {region!r}")
        countries = found.members
    sectors = None
    if sector_group:
        group = ref.sector_group(sector_group)
        if group is None or group.code != sector_group:
            raise InvalidInput(f"unknown sector group {sector_group!r}")
        sectors = tuple(s.code for s in ref.sectors if s.group == group.code)
    if status == ALL_STATUSES:
        status = None
    elif status is None:
        status = RequestStatus.open.value
    elif status not in RequestStatus.__members__:
        raise InvalidInput(f"unknown status {status!r}")
    filters = repo.RequestFilters(
        status=status,
        countries=countries,
        sectors=sectors,
        q=q or None,
        unmet_only=unmet_only,
    )
    rows, total = repo.list_requests(session, filters=filters, limit=limit, offset=offset)
    return RequestListing(rows=rows, total=total)


def request_page(
    session: Session, *, engine: MatchEngine, principal: Principal, request_id: int
) -> RequestPage:
    """The request and its ranked offers; ranking stores the proposed matches, as the JSON API does."""
    principal.require(*WORKSPACE_ROLES)
    ranking = matching.matches_for_request(
        session, engine=engine, principal=principal, request_id=request_id, limit=RANKED_LIMIT, profile=None
    )
    request = knowledge.get_item(session, KnowledgeRequest, principal=principal, item_id=request_id)
    offers = repo.offers_by_id(session, ids=[i.offer_id for i in ranking.items if i.offer_id is not None])
    matches = repo.matches_by_id(session, ids=[i.id for i in ranking.items if i.id is not None])
    candidates = [
        OfferCandidate(
            item=item,
            offer=offers[item.offer_id][0],
            institution=offers[item.offer_id][1],
            match=matches.get(item.id) if item.id is not None else None,
        )
        for item in ranking.items
        if item.offer_id in offers
    ]
    institution = session.get_one(Institution, request.institution_id)
    return RequestPage(request=request, institution=institution, ranking=ranking, candidates=candidates)


def offer_page(session: Session, *, engine: MatchEngine, principal: Principal, offer_id: int) -> OfferPage:
    """The offer and the open requests it could serve (nothing is stored)."""
    principal.require(*WORKSPACE_ROLES)
    ranking = matching.requests_for_offer(
        session, engine=engine, principal=principal, offer_id=offer_id, limit=RANKED_LIMIT, profile=None
    )
    offer = knowledge.get_item(session, Offer, principal=principal, item_id=offer_id)
    found = repo.requests_by_id(
        session, ids=[i.request_id for i in ranking.items if i.request_id is not None]
    )
    candidates = [
        RequestCandidate(item=item, request=found[item.request_id][0], institution=found[item.request_id][1])
        for item in ranking.items
        if item.request_id in found
    ]
    institution = session.get_one(Institution, offer.institution_id)
    return OfferPage(offer=offer, institution=institution, ranking=ranking, candidates=candidates)
