"""Triangular matching: which funding windows could finance a request's, an offer's or a window's pairs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from broker.api.deps import CurrentPrincipal, EngineDep, LocaleDep, RowId, SessionDep
from broker.api.responses import errors
from broker.i18n.ranked import localize_triangles
from broker.schemas.triangle import TriangleList
from broker.services import triangles as service

router = APIRouter(tags=["triangular"])
Limit = Annotated[int, Query(ge=1, le=100, description="How many (pair, window) triples")]
Pairs = Annotated[int, Query(ge=1, le=50, description="How many ranked pairs to check against the windows")]
Profile = Annotated[
    str | None, Query(max_length=80, description="Scoring profile (default: the default one)")
]


@router.get(
    "/requests/{request_id}/triangles",
    summary="Funding windows for a request's ranked offers",
    responses=errors(403, 404),
)
def triangles_for_request(
    request_id: RowId,
    session: SessionDep,
    principal: CurrentPrincipal,
    engine: EngineDep,
    locale: LocaleDep,
    limit: Limit = 20,
    offers: Pairs = service.DEFAULT_OFFERS,
    profile: Profile = None,
) -> TriangleList:
    """(offer, window) triples: the request's best offers x the open windows that may finance them
    (countries, dates, modality and amount as hard rules), by combined score, with reasons."""
    found = service.for_request(
        session, engine=engine, principal=principal, request_id=request_id, offers=offers, limit=limit,
        profile=profile,
    )  # fmt: skip
    return localize_triangles(found, locale)


@router.get(
    "/offers/{offer_id}/triangles",
    summary="Funding windows for an offer's ranked requests",
    responses=errors(403, 404),
)
def triangles_for_offer(
    offer_id: RowId,
    session: SessionDep,
    principal: CurrentPrincipal,
    engine: EngineDep,
    locale: LocaleDep,
    limit: Limit = 20,
    requests: Pairs = service.DEFAULT_OFFERS,
    profile: Profile = None,
) -> TriangleList:
    """(request, window) triples: the open requests the offer serves best x the open windows."""
    found = service.for_offer(
        session, engine=engine, principal=principal, offer_id=offer_id, requests=requests, limit=limit,
        profile=profile,
    )  # fmt: skip
    return localize_triangles(found, locale)


@router.get(
    "/funding-windows/{window_id}/pairs",
    summary="Fundable pairs that fall in a window",
    responses=errors(403, 404),
)
def pairs_for_window(
    window_id: RowId,
    session: SessionDep,
    principal: CurrentPrincipal,
    engine: EngineDep,
    locale: LocaleDep,
    limit: Annotated[int, Query(ge=1, le=200, description="How many pairs")] = 50,
) -> TriangleList:
    """The proposed matches of open requests (their stored ranked lists) that the window may finance,
    best first: the funder's side of the same question."""
    found = service.for_window(session, engine=engine, principal=principal, window_id=window_id, limit=limit)
    return localize_triangles(found, locale)
