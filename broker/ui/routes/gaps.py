"""The gap view: demand against supply by sector group and M49 region."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from broker.api.deps import EngineDep, SessionDep
from broker.services import gaps, plans
from broker.services.ui_sessions import REVIEWER_ROLES
from broker.ui.deps import PostingViewerDep, ViewerDep
from broker.ui.rendering import UiRoute, redirect, render

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


@router.get("/gaps")
def gap_view(
    request: Request, session: SessionDep, viewer: ViewerDep, ranked: int | None = None
) -> HTMLResponse:
    """A heat map of open requests, published offers and unmet requests by sector group x region."""
    context = {
        "viewer": viewer,
        "section": "gaps",
        "gaps": gaps.gap_map(session),
        "ranked": ranked,
        "unknown": gaps.UNKNOWN,
        "plan": plans.latest(session),
    }
    return render(request, "gaps.html", context)


@router.post("/gaps/rank")
def rank_unranked(session: SessionDep, viewer: PostingViewerDep, engine: EngineDep) -> RedirectResponse:
    """Rank the open requests that have no stored match yet, so the map counts them fairly (staff, admin)."""
    viewer.principal.require(*REVIEWER_ROLES)  # it stores proposals; brokers only look in the workspace
    count = gaps.rank_unranked(session, engine=engine, principal=viewer.principal)
    return redirect(f"/ui/gaps?ranked={count}")
