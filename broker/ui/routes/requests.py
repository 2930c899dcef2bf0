"""The requests list, a request with its ranked offers, and decisions on those offers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from broker.api.deps import EngineDep, RowId, SessionDep
from broker.models import AssignmentStatus, KnowledgeRequest, MatchStatus, RequestStatus
from broker.ranking.engine import MatchEngine
from broker.repositories import workspace as repo
from broker.schemas.common import MAX_ID
from broker.schemas.match import ReviewCreate
from broker.schemas.triangle import TriangleList
from broker.services import assignments, exchange_pages, reviews, triangles, ui_workspace
from broker.services.principal import Principal
from broker.ui.assignment_form import assignment_form
from broker.ui.deps import PostingViewerDep, ViewerDep
from broker.ui.listing import ListQuery, pager, region_and_sector_choices
from broker.ui.rendering import UiRoute, redirect, render

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
Text = Annotated[str | None, Query(max_length=200)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


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
    assignee: Text = None,
    assignment: Text = None,
    sort: Text = None,
    offset: Offset = 0,
) -> HTMLResponse:
    """Requests with their number of proposed matches, best score and assignment; unmet demand flagged."""
    chosen = {
        "status": status or None,
        "region": region or None,
        "sector": sector or None,
        "q": q or None,
        "assignee": assignee or None,
        "assignment": assignment or None,
    }
    listing = ui_workspace.list_requests(
        session,
        principal=viewer.principal,
        status=chosen["status"],
        region=chosen["region"],
        sector_group=chosen["sector"],
        q=chosen["q"],
        unmet_only=unmet,
        assignee=chosen["assignee"],
        assignment_status=chosen["assignment"],
        sort=sort or None,
        offset=offset,
    )
    params = {k: v for k, v in chosen.items() if v} | ({"unmet": "1"} if unmet else {})
    order = ui_workspace.parse_sort(sort, allowed=repo.REQUEST_SORTS, default=ui_workspace.REQUEST_SORT)
    query = ListQuery(path="/ui/requests", params=params, sort=order, offset=offset)
    context = {
        "viewer": viewer,
        "section": "requests",
        "listing": listing,
        "chosen": chosen,
        "unmet": unmet,
        "query": query,
        "offset": offset,
        **pager(query, total=listing.total),
        "statuses": [s.value for s in RequestStatus],
        "assignment_statuses": [s.value for s in AssignmentStatus],
        "assignees": assignments.assignees(session),
        **region_and_sector_choices(),
    }
    return render(request, "requests.html", context)


@router.get("/requests/{request_id}")
def request_page(
    request: Request,
    request_id: RowId,
    session: SessionDep,
    viewer: ViewerDep,
    engine: EngineDep,
    assigned: bool = False,
) -> HTMLResponse:
    """The request, its assignment and its ranked offers, each with factors, reasons, cost, history
    and, once accepted, its exchange (or the button that opens it)."""
    page = ui_workspace.request_page(
        session, engine=engine, principal=viewer.principal, request_id=request_id
    )
    match_ids = [c.item.id for c in page.candidates if c.item.id is not None]
    context = {
        "viewer": viewer,
        "section": "requests",
        "page": page,
        "exchanges": exchange_pages.exchanges_of_matches(
            session, principal=viewer.principal, match_ids=match_ids
        ),
        "assigned": assigned,
        "assignment_statuses": [s.value for s in AssignmentStatus],
        "triangles": _triangles(session, engine, viewer.principal, page.request),
    }
    return render(request, "request.html", context)


def _triangles(
    session: Session, engine: MatchEngine, principal: Principal, record: KnowledgeRequest
) -> TriangleList | None:
    """The funding windows that could finance the request's best offers (open requests, open windows)."""
    if record.status != RequestStatus.open or not triangles.open_windows(session):
        return None
    return triangles.for_request(session, engine=engine, principal=principal, request_id=record.id, limit=5)


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


@router.post("/requests/{request_id}/assignment")
def assign(
    request_id: RowId,
    session: SessionDep,
    viewer: PostingViewerDep,
    status: Annotated[AssignmentStatus, Form()],
    version: Annotated[int, Form(ge=0, le=MAX_ID)],
    assignee: Annotated[str, Form(max_length=20)] = "",
    due_on: Annotated[str, Form(max_length=20)] = "",
) -> RedirectResponse:
    """Assign the request, set its progress and due date; refused if someone changed it meanwhile."""
    data = assignment_form(assignee=assignee, status=status, due_on=due_on, version=version)
    assignments.set_assignment(session, principal=viewer.principal, request_id=request_id, data=data)
    return redirect(f"/ui/requests/{request_id}?assigned=1#assignment")
