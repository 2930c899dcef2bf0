"""What the staff pages show: request lists with their best matches, ranked offers, ranked requests.

Ranking goes through ``broker.ranking.service`` and decisions through ``broker.services.reviews``,
exactly as for the JSON API; this module only gathers what a page puts next to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from broker.errors import InvalidInput
from broker.matching import FACTORS
from broker.models import (
    AssignmentStatus,
    Institution,
    KnowledgeRequest,
    Match,
    Offer,
    OfferStatus,
    RequestStatus,
)
from broker.ranking import service as matching
from broker.ranking.engine import MatchEngine
from broker.reference import get_reference
from broker.repositories import workspace as repo
from broker.schemas.assignment import AssignmentRead
from broker.schemas.ranking import RankedItem, RankedList
from broker.services import assignments, knowledge
from broker.services.principal import Principal
from broker.services.ui_sessions import WORKSPACE_ROLES

PAGE_SIZE = 50
RANKED_LIMIT = 10
ALL_STATUSES = "all"
REQUEST_SORT = repo.Sort("created", descending=True)
OFFER_SORT = repo.Sort("updated", descending=True)


@dataclass(frozen=True, slots=True)
class RequestListing:
    rows: list[repo.RequestSummary]
    total: int

    def unmet(self, row: repo.RequestSummary) -> bool:
        """No good (strong or possible) ranked match, or never ranked."""
        return row.good == 0


@dataclass(frozen=True, slots=True)
class OfferListing:
    rows: list[repo.OfferSummary]
    total: int


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
    assignment: AssignmentRead
    assignees: list[assignments.Assignee]
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


def parse_sort(value: str | None, *, allowed: tuple[str, ...], default: repo.Sort) -> repo.Sort:
    """``"title"`` (ascending) or ``"-title"`` (descending), one of ``allowed``; None: ``default``."""
    if not value:
        return default
    sort = repo.Sort(value.removeprefix("-"), descending=value.startswith("-"))
    if sort.key not in allowed:
        raise InvalidInput(
            f"cannot sort by {value!r}: use one of {', '.join(allowed)} (a leading - reverses)"
        )
    return sort


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
    sort: str | None = None,
    assignee: str | None = None,
    assignment_status: str | None = None,
    limit: int | None = None,
) -> RequestListing:
    """Requests (open ones unless ``status`` says otherwise) with their match count and best score.

    ``assignee`` is ``"me"``, ``"none"`` or a key id; ``sort`` a key of ``repo.REQUEST_SORTS``.
    """
    principal.require(*WORKSPACE_ROLES)
    if status == ALL_STATUSES:
        status = None
    elif status is None:
        status = RequestStatus.open.value
    elif status not in RequestStatus.__members__:
        raise InvalidInput(f"unknown status {status!r}")
    if assignment_status and assignment_status not in AssignmentStatus.__members__:
        raise InvalidInput(f"unknown assignment status {assignment_status!r}")
    assignee_key_id, assignee_user_id = _assignee(assignee, principal)
    filters = repo.RequestFilters(
        status=status,
        countries=_countries(region),
        sectors=_sectors(sector_group),
        q=q or None,
        unmet_only=unmet_only,
        assignee_key_id=assignee_key_id,
        assignee_user_id=assignee_user_id,
        assignment_status=assignment_status or None,
    )
    order = parse_sort(sort, allowed=repo.REQUEST_SORTS, default=REQUEST_SORT)
    rows, total = repo.list_requests(
        session, filters=filters, sort=order, limit=limit or PAGE_SIZE, offset=offset
    )
    return RequestListing(rows=rows, total=total)


def list_offers(
    session: Session,
    *,
    principal: Principal,
    status: str | None,
    region: str | None,
    country: str | None,
    sector_group: str | None,
    modality: str | None,
    language: str | None,
    institution_id: int | None,
    q: str | None,
    sort: str | None,
    offset: int,
    limit: int | None = None,
) -> OfferListing:
    """Offers (published ones unless ``status`` says otherwise), searched, filtered and sorted."""
    principal.require(*WORKSPACE_ROLES)
    ref = get_reference()
    if status == ALL_STATUSES:
        status = None
    elif status is None:
        status = OfferStatus.published.value
    elif status not in OfferStatus.__members__:
        raise InvalidInput(f"unknown status {status!r}")
    countries = _countries(region)
    if country:
        found = ref.country(country)
        if found is None:
            raise InvalidInput(f"unknown country {country!r}")
        countries = tuple(c for c in countries or (found.alpha3,) if c == found.alpha3)
    modality_code = language_code = None
    if modality:
        chosen_modality = ref.modality(modality)
        if chosen_modality is None:
            raise InvalidInput(f"unknown modality {modality!r}")
        modality_code = chosen_modality.code
    if language:
        chosen_language = ref.language(language)
        if chosen_language is None:
            raise InvalidInput(f"unknown language {language!r}")
        language_code = chosen_language.code
    filters = repo.OfferFilters(
        status=status,
        countries=countries,
        sectors=_sectors(sector_group),
        modality=modality_code,
        language=language_code,
        institution_id=institution_id,
        q=q or None,
    )
    order = parse_sort(sort, allowed=repo.OFFER_SORTS, default=OFFER_SORT)
    rows, total = repo.list_offers(
        session, filters=filters, sort=order, limit=limit or PAGE_SIZE, offset=offset
    )
    return OfferListing(rows=rows, total=total)


def _countries(region: str | None) -> tuple[str, ...] | None:
    if not region:
        return None
    found = get_reference().region(region)
    if found is None:
        raise InvalidInput(f"unknown region {region!r}")
    return tuple(found.members)


def _sectors(sector_group: str | None) -> tuple[str, ...] | None:
    if not sector_group:
        return None
    ref = get_reference()
    group = ref.sector_group(sector_group)
    if group is None or group.code != sector_group:
        raise InvalidInput(f"unknown sector group {sector_group!r}")
    return tuple(s.code for s in ref.sectors if s.group == group.code)


def _assignee(value: str | None, principal: Principal) -> tuple[int | None, int | None]:
    """The list filter's (key id, user id): ``me`` is the signed-in person (or key)."""
    if not value:
        return None, None
    if value == "me":
        return (None, principal.user_id) if principal.user_id is not None else (principal.key_id, None)
    if value == "none":
        return repo.UNASSIGNED, None
    person = value.removeprefix("user:")
    if person.isdigit() and 0 < int(person) < 2**31:
        return (None, int(person)) if value.startswith("user:") else (int(person), None)
    raise InvalidInput(f"unknown assignee {value!r}: use me, none, user:ID or a key id")


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
    return RequestPage(
        request=request,
        institution=institution,
        ranking=ranking,
        candidates=candidates,
        assignment=assignments.get_assignment(session, principal=principal, request_id=request_id),
        assignees=assignments.assignees(session),
    )


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


def offer_institutions(session: Session) -> list[tuple[int, str]]:
    """(id, name) of the institutions that have offers: the choices of the offers list's filter."""
    return repo.institutions_with_offers(session)
