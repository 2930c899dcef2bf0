from __future__ import annotations

from fastapi import APIRouter

from broker.api.deps import CurrentPrincipal, RowId, SessionDep
from broker.api.responses import errors
from broker.schemas.match import MatchRead, ReviewCreate
from broker.services import reviews as service

router = APIRouter(prefix="/matches", tags=["matches"])


@router.get("/{match_id}", summary="Get a match with its reviews", responses=errors(404))
def get_match(match_id: RowId, session: SessionDep, principal: CurrentPrincipal) -> MatchRead:
    """One proposed match with its full review history."""
    match = service.get_match(session, principal=principal, match_id=match_id)
    return service.match_view(match, principal=principal)


@router.post(
    "/{match_id}/reviews", summary="Review a match", status_code=201, responses=errors(403, 404, 409)
)
def review_match(
    match_id: RowId, body: ReviewCreate, session: SessionDep, principal: CurrentPrincipal
) -> MatchRead:
    """Shortlist, accept or reject a match with a note (staff, admin); the decision joins its history."""
    match = service.review_match(session, principal=principal, match_id=match_id, data=body)
    return service.match_view(match, principal=principal)
