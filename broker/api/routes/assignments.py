"""Who on the broker team looks after a request, its progress and its due date."""

from __future__ import annotations

from fastapi import APIRouter

from broker.api.deps import CurrentPrincipal, RowId, SessionDep
from broker.api.responses import errors
from broker.schemas.assignment import AssignmentRead, AssignmentWrite
from broker.services import assignments as service

router = APIRouter(prefix="/requests", tags=["requests"])


@router.get("/{request_id}/assignment", summary="Get a request's assignment", responses=errors(404))
def get_assignment(request_id: RowId, session: SessionDep, principal: CurrentPrincipal) -> AssignmentRead:
    """The request's assignment; institutions see its status and due date, not the assignee."""
    return service.get_assignment(session, principal=principal, request_id=request_id)


@router.put("/{request_id}/assignment", summary="Assign a request", responses=errors(403, 404, 409))
def set_assignment(
    request_id: RowId, body: AssignmentWrite, session: SessionDep, principal: CurrentPrincipal
) -> AssignmentRead:
    """Assign the request, set its status and due date (staff, broker, admin; send the version you read)."""
    row = service.set_assignment(session, principal=principal, request_id=request_id, data=body)
    return service.assignment_view(row, request_id=request_id, principal=principal)
