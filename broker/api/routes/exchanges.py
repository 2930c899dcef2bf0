"""Exchanges opened from accepted matches, their status, each side's report, export and results."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from broker.api.deps import CurrentPrincipal, PagingDep, RowId, SessionDep
from broker.api.pagination import page_of
from broker.api.responses import errors
from broker.models import ExchangeSide, ExchangeStatus
from broker.schemas.common import MAX_ID, Page
from broker.schemas.exchange import (
    ExchangeCreate,
    ExchangeRead,
    ExchangeUpdate,
    ReportPut,
    ResultsView,
    StatusChange,
)
from broker.services import exchange_results as results
from broker.services import exchanges as service

router = APIRouter(tags=["exchanges"])


@router.post(
    "/matches/{match_id}/exchange",
    summary="Open an exchange",
    status_code=201,
    responses=errors(403, 404, 409),
)
def open_exchange(
    match_id: RowId, body: ExchangeCreate, session: SessionDep, principal: CurrentPrincipal
) -> ExchangeRead:
    """Open the exchange of an accepted match (staff, admin); 409 if not accepted or already opened."""
    exchange = service.open_exchange(session, principal=principal, match_id=match_id, data=body)
    return service.exchange_view(exchange, principal=principal)


@router.get("/exchanges", summary="List exchanges", responses=errors())
def list_exchanges(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    paging: PagingDep,
    status: ExchangeStatus | None = None,
    institution_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Page[ExchangeRead]:
    """Exchanges the caller may read (an institution: those it is a side of), oldest first."""
    items, total = service.list_exchanges(
        session, principal=principal, status=status.value if status else None,
        institution_id=institution_id, limit=paging.limit, offset=paging.offset,
    )  # fmt: skip
    views = [service.exchange_view(e, principal=principal) for e in items]
    return page_of(request, paging, items=views, total=total)


@router.get("/exchanges/export", summary="Export exchanges", responses=errors(), response_class=Response)
def export_exchanges(
    session: SessionDep,
    principal: CurrentPrincipal,
    fmt: Annotated[Literal["csv"], Query(alias="format")] = "csv",
) -> Response:
    """The exchanges the caller may read as CSV (UTF-8 with a byte-order mark, formula-safe cells)."""
    text = results.exchanges_csv(session, principal=principal)
    disposition = 'attachment; filename="exchanges.csv"'
    return Response(text, media_type="text/csv", headers={"Content-Disposition": disposition})


@router.get("/exchanges/{exchange_id}", summary="Get an exchange", responses=errors(404))
def get_exchange(exchange_id: RowId, session: SessionDep, principal: CurrentPrincipal) -> ExchangeRead:
    """One exchange with its history and reports."""
    exchange = service.get_exchange(session, principal=principal, exchange_id=exchange_id)
    return service.exchange_view(exchange, principal=principal)


@router.patch("/exchanges/{exchange_id}", summary="Update an exchange", responses=errors(403, 404, 409))
def update_exchange(
    exchange_id: RowId, body: ExchangeUpdate, session: SessionDep, principal: CurrentPrincipal
) -> ExchangeRead:
    """Change fields (staff, admin: all; a side: its contact, and shared fields while planned)."""
    exchange = service.update_exchange(session, principal=principal, exchange_id=exchange_id, data=body)
    return service.exchange_view(exchange, principal=principal)


@router.post("/exchanges/{exchange_id}/status", summary="Move an exchange", responses=errors(403, 404, 409))
def move_status(
    exchange_id: RowId, body: StatusChange, session: SessionDep, principal: CurrentPrincipal
) -> ExchangeRead:
    """Move planned → under_way → completed, or cancel (staff, admin); an illegal move is 409."""
    exchange = service.move_status(session, principal=principal, exchange_id=exchange_id, data=body)
    return service.exchange_view(exchange, principal=principal)


@router.put(
    "/exchanges/{exchange_id}/reports/{side}",
    summary="Report on an exchange",
    responses=errors(403, 404, 409),
)
def put_report(
    exchange_id: RowId, side: ExchangeSide, body: ReportPut, session: SessionDep, principal: CurrentPrincipal
) -> ExchangeRead:
    """One side's report on a completed exchange (that side's institution, or staff and admins)."""
    exchange = service.put_report(session, principal=principal, exchange_id=exchange_id, side=side, data=body)
    return service.exchange_view(exchange, principal=principal)


@router.get("/results", summary="Get the results view", responses=errors(403))
def results_view(session: SessionDep, principal: CurrentPrincipal) -> ResultsView:
    """Exchanges by status, outcomes reached by sector group and region, providers' records (staff)."""
    return results.results_view(session, principal=principal)
