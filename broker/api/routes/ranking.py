from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from broker.api.deps import CurrentPrincipal, EngineDep, LocaleDep, ReadIntent, RowId, SessionDep
from broker.api.responses import errors
from broker.i18n.ranked import localize_ranked
from broker.ranking import service
from broker.schemas.ranking import ExploreRequest, RankedList

router = APIRouter(tags=["matching"])
Limit = Annotated[int, Query(ge=1, le=100, description="How many matches")]
Profile = Annotated[
    str | None, Query(max_length=80, description="Scoring profile (default: the default one)")
]
PerInstitution = Annotated[int, Query(ge=1, le=100, description="At most this many offers per institution")]


@router.get("/requests/{request_id}/matches", summary="Rank offers for a request", responses=errors(403, 404))
def matches_for_request(
    request_id: RowId,
    session: SessionDep,
    principal: CurrentPrincipal,
    engine: EngineDep,
    locale: LocaleDep,
    limit: Limit = 10,
    profile: Profile = None,
    per_institution: PerInstitution = 2,
) -> RankedList:
    """Ranked offers for a request, each with factor values, estimated cost and reasons; stored for review."""
    ranked = service.matches_for_request(
        session,
        engine=engine,
        principal=principal,
        request_id=request_id,
        limit=limit,
        profile=profile,
        per_institution=per_institution,
    )
    return localize_ranked(ranked, locale)


@router.get("/offers/{offer_id}/matches", summary="Rank requests for an offer", responses=errors(403, 404))
def matches_for_offer(
    offer_id: RowId,
    session: SessionDep,
    principal: CurrentPrincipal,
    engine: EngineDep,
    locale: LocaleDep,
    limit: Limit = 10,
    profile: Profile = None,
    per_institution: PerInstitution = 2,
) -> RankedList:
    """Ranked open requests an offer could serve (the supply side looking for demand)."""
    ranked = service.requests_for_offer(
        session,
        engine=engine,
        principal=principal,
        offer_id=offer_id,
        limit=limit,
        profile=profile,
        per_institution=per_institution,
    )
    return localize_ranked(ranked, locale)


@router.post("/match", summary="Explore offers for an unsaved request", responses=errors(404))
def explore(
    body: ExploreRequest,
    _: ReadIntent,
    session: SessionDep,
    principal: CurrentPrincipal,
    engine: EngineDep,
    locale: LocaleDep,
    limit: Limit = 10,
    profile: Profile = None,
    per_institution: PerInstitution = 2,
) -> RankedList:
    """Rank offers for a request that is not stored (a broker exploring); nothing is written."""
    ranked = service.explore(
        session,
        engine=engine,
        principal=principal,
        data=body,
        limit=limit,
        profile=profile,
        per_institution=per_institution,
    )
    return localize_ranked(ranked, locale)
