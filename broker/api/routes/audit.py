from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from broker.api.deps import CurrentPrincipal, PagingDep, SessionDep
from broker.api.pagination import page_of
from broker.api.responses import errors
from broker.schemas.audit import AuditEventRead
from broker.schemas.common import Page
from broker.services import audit as service

router = APIRouter(tags=["audit"])


@router.get("/audit-events", summary="List audit events", responses=errors(403))
def list_audit_events(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    paging: PagingDep,
    event: Annotated[str | None, Query(max_length=40, description="e.g. key.revoked, access.denied")] = None,
) -> Page[AuditEventRead]:
    """Security-relevant events, newest first (admin)."""
    items, total = service.list_events(
        session, principal=principal, event=event, limit=paging.limit, offset=paging.offset
    )
    return page_of(request, paging, items=[AuditEventRead.model_validate(e) for e in items], total=total)
