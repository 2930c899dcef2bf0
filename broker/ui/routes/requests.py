"""The requests list, a request with its ranked offers, and decisions on those offers."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from broker.api.deps import EngineDep, RowId, SessionDep
from broker.models import MatchStatus, RequestStatus
from broker.reference import get_reference
from broker.schemas.match import ReviewCreate
from broker.services import reviews, ui_workspace
from broker.ui.deps import PostingViewerDep, ViewerDep
from broker.ui.rendering import UiRoute, redirect, render

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
Text = Annotated[str | None, Query(max_length=200)]


@router.get("/requests")
def list_requests(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    status: Text = None,
    region: Text = None,
    sector: Text = None,
    q: Text = None,
    unmet: bool = False,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    """Requests with their number of proposed matches and best score; unmet demand flagged."""
    chosen = {"status": status or None, "region": region or None, "sector": sector or None, "q": q or None}
    listing = ui_workspace.list_requests(
        session,
        principal=viewer.principal,
        status=chosen["status"],
        region=chosen["region"],
        sector_group=chosen["sector"],
        q=chosen["q"],
        unmet_only=unmet,
        offset=offset,
    )
    query = {k: v for k, v in chosen.items() if v} | ({"unmet": "1"} if unmet else {})

    def page(start: int) -> str:
        return "/ui/requests?" + urlencode(query | ({"offset": str(start)} if start else {}))

    size = ui_workspace.PAGE_SIZE
    ref = get_reference()
    context = {
        "viewer": viewer,
        "section": "requests",
        "listing": listing,
        "chosen": chosen,
        "unmet": unmet,
        "offset": offset,
        "previous": page(max(0, offset - size)) if offset > 0 else None,
        "next": page(offset + size) if offset + size < listing.total else None,
        "statuses": [s.value for s in RequestStatus],
        "regions": [r for r in ref.regions if r.level == "region"],
        "sub_regions": sorted((r for r in ref.regions if r.level == "sub_region"), key=lambda r: r.name),
        "groups": ref.sector_groups,
    }
    return render(request, "requests.html", context)


@router.get("/requests/{request_id}")
def request_page(
    request: Request,
    request_id: RowId,
    session: SessionDep,
    viewer: ViewerDep,
    engine: EngineDep,
) -> HTMLResponse:
    """The request and its ranked offers, each with factor bars, reasons, cost and its review history."""
    page = ui_workspace.request_page(
        session, engine=engine, principal=viewer.principal, request_id=request_id
    )
    return render(request, "request.html", {"viewer": viewer, "section": "requests", "page": page})


@router.post("/matches/{match_id}/review")
def review(
    match_id: RowId,
    session: SessionDep,
    viewer: PostingViewerDep,
    status: Annotated[MatchStatus, Form()],
    note: Annotated[str, Form(max_length=5000)] = "",
) -> RedirectResponse:
    """Shortlist, accept or reject a match with a note, through the same service as the JSON API.

    The form names no version: every view of a request page re-ranks it (which moves the versions of
    its matches), so a version check would refuse a decision whenever a colleague merely looked.
    Decisions on one match queue up instead, and every one of them is kept in its history.
    """
    data = ReviewCreate(status=status, note=note.strip() or None)
    match = reviews.review_match(session, principal=viewer.principal, match_id=match_id, data=data)
    return redirect(f"/ui/requests/{match.request_id}#match-{match.id}")
