"""The results view: what the exchanges achieved, for staff, brokers and admins."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from broker.api.deps import SessionDep
from broker.reference import get_reference
from broker.services import exchange_results
from broker.ui.deps import ViewerDep
from broker.ui.rendering import UiRoute, render

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


@router.get("/results")
def results(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    """Exchanges by status, outcomes reached by sector group and region, and providers' records."""
    view = exchange_results.results_view(session, principal=viewer.principal)
    context = {
        "viewer": viewer,
        "section": "results",
        "results": view,
        "outcome_names": {o.code: o.name for o in get_reference().outcomes},
    }
    return render(request, "results.html", context)
