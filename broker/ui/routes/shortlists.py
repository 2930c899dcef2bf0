"""A request's shortlist handed on: CSV download, printable brief, side-by-side comparison."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from broker.api.deps import RowId, SessionDep
from broker.services import shortlists
from broker.ui.deps import ViewerDep
from broker.ui.rendering import UiRoute, render

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


@router.get("/requests/{request_id}/shortlist.csv", response_class=Response)
def shortlist_csv(request_id: RowId, session: SessionDep, viewer: ViewerDep) -> Response:
    """The request's shortlisted offers as a formula-safe UTF-8 CSV file."""
    found = shortlists.shortlist(session, principal=viewer.principal, request_id=request_id)
    return Response(
        shortlists.shortlist_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="shortlist-request-{request_id}.csv"',
            "cache-control": "no-store",
        },
    )


@router.get("/requests/{request_id}/brief")
def brief(request: Request, request_id: RowId, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    """A printable page: the request, then each shortlisted offer with its fit, reasons and cost."""
    found = shortlists.shortlist(session, principal=viewer.principal, request_id=request_id)
    return render(request, "brief.html", {"viewer": viewer, "page": found})


@router.get("/requests/{request_id}/compare")
def compare(
    request: Request,
    request_id: RowId,
    session: SessionDep,
    viewer: ViewerDep,
    offers: Annotated[list[str] | None, Query()] = None,
) -> HTMLResponse:
    """Two or three of the request's matched offers side by side (``?offers=12,15`` or repeated)."""
    ids = shortlists.parse_offer_ids(offers or [])
    found = shortlists.compare(session, principal=viewer.principal, request_id=request_id, offer_ids=ids)
    return render(request, "compare.html", {"viewer": viewer, "section": "requests", "page": found})
