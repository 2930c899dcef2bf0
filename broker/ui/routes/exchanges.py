"""The staff pages of exchanges: opening one from an accepted match, the list, one exchange with
its history, status moves, edit form and both reports, and the results view."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from broker.api.deps import RowId, SessionDep
from broker.errors import InvalidInput, StaleVersion
from broker.models import ExchangeStatus
from broker.reference import get_reference
from broker.schemas.common import MAX_ID
from broker.schemas.exchange import ExchangeCreate, StatusChange
from broker.services import exchange_pages, exchange_results, exchanges
from broker.ui.deps import PostingViewerDep, ViewerDep
from broker.ui.exchange_forms import ExchangeFields, ExchangeForm
from broker.ui.exchange_views import exchange_page
from broker.ui.forms import FormErrors
from broker.ui.rendering import UiRoute, redirect, render

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
StatusFilter = Literal["", "planned", "under_way", "completed", "cancelled"]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]


@router.post("/matches/{match_id}/exchange")
def open_exchange(match_id: RowId, session: SessionDep, viewer: PostingViewerDep) -> RedirectResponse:
    """Open the exchange of an accepted match (staff, admin), defaults taken from the pair."""
    found = exchanges.open_exchange(session, principal=viewer.principal, match_id=match_id,
                                    data=ExchangeCreate())  # fmt: skip
    return redirect(f"/ui/exchanges/{found.id}?opened=1")


@router.get("/exchanges")
def list_exchanges(
    request: Request, session: SessionDep, viewer: ViewerDep, status: StatusFilter = "", offset: Offset = 0
) -> HTMLResponse:
    """Every exchange, oldest first, filtered by status."""
    listing = exchange_pages.listing(
        session, principal=viewer.principal, status=status or None, offset=offset
    )
    context = {
        "viewer": viewer,
        "section": "exchanges",
        "listing": listing,
        "status": status,
        "statuses": [s.value for s in ExchangeStatus],
        "offset": offset,
        "page_size": exchange_pages.PAGE_SIZE,
        "base": "/ui/exchanges",
    }
    return render(request, "exchanges.html", context)


@router.get("/exchanges/{exchange_id}")
def exchange_detail(
    request: Request,
    exchange_id: RowId,
    session: SessionDep,
    viewer: ViewerDep,
    opened: bool = False,
    saved: bool = False,
) -> HTMLResponse:
    """The exchange: its fields, both contacts, history, status moves, edit form and both reports."""
    found = exchange_pages.page(session, principal=viewer.principal, exchange_id=exchange_id)
    notice = "opened" if opened else "saved" if saved else None
    return exchange_page(request, viewer, found, template="exchange.html", notice=notice)


@router.post("/exchanges/{exchange_id}/edit", response_model=None)
def edit_exchange(
    request: Request,
    exchange_id: RowId,
    fields: Annotated[ExchangeFields, Form()],
    session: SessionDep,
    viewer: PostingViewerDep,
) -> HTMLResponse | RedirectResponse:
    """Save an edit made at the form's version; a stale or refused one comes back with the input kept."""
    found = exchange_pages.page(session, principal=viewer.principal, exchange_id=exchange_id)
    form = ExchangeForm.read(fields)
    # Nothing editable (a broker, a final exchange): send every field, so the service says why not.
    try:
        data = form.to_update(found.editable or frozenset(exchanges.EDITABLE))
        exchanges.update_exchange(session, principal=viewer.principal, exchange_id=exchange_id, data=data)
    except StaleVersion:
        return exchange_page(request, viewer, found, template="exchange.html", form=form,
                             stale=True, status=409)  # fmt: skip
    except (FormErrors, InvalidInput) as exc:
        errors = exc.errors if isinstance(exc, FormErrors) else FormErrors.of(exc).errors
        return exchange_page(request, viewer, found, template="exchange.html", form=form,
                             errors=errors, status=422)  # fmt: skip
    return redirect(f"/ui/exchanges/{exchange_id}?saved=1")


@router.post("/exchanges/{exchange_id}/status")
def move_exchange(
    exchange_id: RowId,
    session: SessionDep,
    viewer: PostingViewerDep,
    status: Annotated[ExchangeStatus, Form()],
    version: Annotated[int, Form(ge=1, le=MAX_ID)],
    note: Annotated[str, Form(max_length=5000)] = "",
) -> RedirectResponse:
    """Move the exchange along its allowed transitions (staff, admin); a stale version is a 409 page."""
    data = StatusChange(status=status, note=note.strip() or None, version=version)
    exchanges.move_status(session, principal=viewer.principal, exchange_id=exchange_id, data=data)
    return redirect(f"/ui/exchanges/{exchange_id}?saved=1#status")


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
