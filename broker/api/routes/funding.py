"""Funding windows: what funders finance (sectors, countries, modalities, amounts, dates)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from broker.api.deps import CurrentPrincipal, EngineDep, PagingDep, RowId, SessionDep
from broker.api.pagination import page_of
from broker.api.responses import errors
from broker.models import FundingWindowStatus
from broker.schemas.common import MAX_ID, Page
from broker.schemas.funding import FundingWindowCreate, FundingWindowRead, FundingWindowUpdate
from broker.services import funding as service

router = APIRouter(prefix="/funding-windows", tags=["funding"])


@router.post("", summary="Publish a funding window", status_code=201, responses=errors(403, 409))
def create_window(
    body: FundingWindowCreate, session: SessionDep, principal: CurrentPrincipal, engine: EngineDep
) -> FundingWindowRead:
    """A window for a multilateral, government or private funder (its own, or any for staff and admins)."""
    window = service.create_window(session, principal=principal, data=body, encoder=engine.encoder)
    return service.window_view(session, window=window)


@router.get("", summary="List funding windows", responses=errors())
def list_windows(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    paging: PagingDep,
    institution_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="The funder")] = None,
    status: FundingWindowStatus | None = None,
    sector: Annotated[
        str | None,
        Query(pattern=r"^\d{3}(\d{2})?$", description="DAC code or group: windows naming it or its kin"),
    ] = None,
    region: Annotated[
        str | None, Query(pattern=r"^\d{3}$", description="M49 code: windows naming it on either side")
    ] = None,
) -> Page[FundingWindowRead]:
    """Windows the caller may read (an institution: its own and every open one), oldest first."""
    windows, total = service.list_windows(
        session, principal=principal, institution_id=institution_id, status=status.value if status else None,
        sector=sector, region=region, limit=paging.limit, offset=paging.offset,
    )  # fmt: skip
    return page_of(request, paging, items=service.window_views(session, windows=windows), total=total)


@router.get("/{window_id}", summary="Get a funding window", responses=errors(404))
def get_window(window_id: RowId, session: SessionDep, principal: CurrentPrincipal) -> FundingWindowRead:
    """One window, with what the exchanges it finances commit and what remains."""
    window = service.get_window(session, principal=principal, window_id=window_id)
    return service.window_view(session, window=window)


@router.patch("/{window_id}", summary="Change a funding window", responses=errors(403, 404, 409))
def update_window(
    window_id: RowId,
    body: FundingWindowUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
    engine: EngineDep,
) -> FundingWindowRead:
    """Change fields (send the version you read; a stale one gets 409)."""
    window = service.update_window(session, principal=principal, window_id=window_id, data=body,
                                   encoder=engine.encoder)  # fmt: skip
    return service.window_view(session, window=window)


@router.delete(
    "/{window_id}", summary="Delete a funding window", status_code=204, responses=errors(403, 404, 409)
)
def delete_window(window_id: RowId, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """Delete a window that finances no exchange (409 otherwise: close it instead)."""
    service.delete_window(session, principal=principal, window_id=window_id)
    return Response(status_code=204)
