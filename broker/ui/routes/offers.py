"""An offer and the open requests it could serve."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from broker.api.deps import EngineDep, RowId, SessionDep
from broker.services import ui_workspace
from broker.ui.deps import ViewerDep
from broker.ui.rendering import UiRoute, render

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


@router.get("/offers/{offer_id}")
def offer_page(
    request: Request, offer_id: RowId, session: SessionDep, viewer: ViewerDep, engine: EngineDep
) -> HTMLResponse:
    """The offer, then the open requests it could serve, ranked (nothing is stored)."""
    page = ui_workspace.offer_page(session, engine=engine, principal=viewer.principal, offer_id=offer_id)
    return render(request, "offer.html", {"viewer": viewer, "section": "requests", "page": page})
