"""An institution's exchanges under /ui/my: those it is a side of, its own contact (and, while
planned, the shared fields), and its side's report once completed.

Included before ``my.router``, whose ``/ui/my/{plural}`` would otherwise take ``/ui/my/exchanges``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from broker.api.deps import RowId, SessionDep
from broker.errors import Forbidden, InvalidInput, StaleVersion
from broker.services import exchange_pages, exchanges
from broker.ui.deps import InstitutionPostingViewerDep, InstitutionViewerDep
from broker.ui.exchange_forms import ExchangeFields, ExchangeForm, ReportFields, ReportForm
from broker.ui.exchange_views import exchange_page
from broker.ui.forms import FormErrors
from broker.ui.rendering import UiRoute, redirect, render

router = APIRouter(prefix="/ui/my", route_class=UiRoute, include_in_schema=False)
TEMPLATE = "my/exchange.html"


@router.get("/exchanges")
def own_exchanges(
    request: Request,
    session: SessionDep,
    viewer: InstitutionViewerDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    """The exchanges the institution is a side of, requester or provider."""
    listing = exchange_pages.listing(session, principal=viewer.principal, status=None, offset=offset)
    context = {
        "viewer": viewer,
        "section": "exchanges",
        "listing": listing,
        "offset": offset,
        "page_size": exchange_pages.PAGE_SIZE,
        "base": "/ui/my/exchanges",
    }
    return render(request, "my/exchanges.html", context)


@router.get("/exchanges/{exchange_id}")
def own_exchange(
    request: Request,
    exchange_id: RowId,
    session: SessionDep,
    viewer: InstitutionViewerDep,
    saved: bool = False,
) -> HTMLResponse:
    """One exchange it is a side of (404 otherwise), with what it may change and its report."""
    found = exchange_pages.page(session, principal=viewer.principal, exchange_id=exchange_id)
    return exchange_page(request, viewer, found, template=TEMPLATE, notice="saved" if saved else None)


@router.post("/exchanges/{exchange_id}/edit", response_model=None)
def edit_own_exchange(
    request: Request,
    exchange_id: RowId,
    fields: Annotated[ExchangeFields, Form()],
    session: SessionDep,
    viewer: InstitutionPostingViewerDep,
) -> HTMLResponse | RedirectResponse:
    """Its contact, and the shared fields while planned; a stale or refused edit keeps the input."""
    found = exchange_pages.page(session, principal=viewer.principal, exchange_id=exchange_id)
    if not found.editable:
        raise Forbidden(
            f"exchange {exchange_id} is {found.exchange.status.value}: it can no longer be edited"
        )
    form = ExchangeForm.read(fields)
    try:
        data = form.to_update(found.editable)
        exchanges.update_exchange(session, principal=viewer.principal, exchange_id=exchange_id, data=data)
    except StaleVersion:
        return exchange_page(request, viewer, found, template=TEMPLATE, form=form, stale=True, status=409)
    except (FormErrors, InvalidInput) as exc:
        errors = exc.errors if isinstance(exc, FormErrors) else FormErrors.of(exc).errors
        return exchange_page(request, viewer, found, template=TEMPLATE, form=form, errors=errors, status=422)
    return redirect(f"/ui/my/exchanges/{exchange_id}?saved=1")


@router.post("/exchanges/{exchange_id}/report", response_model=None)
def report_on_exchange(
    request: Request,
    exchange_id: RowId,
    fields: Annotated[ReportFields, Form()],
    session: SessionDep,
    viewer: InstitutionPostingViewerDep,
) -> HTMLResponse | RedirectResponse:
    """Submit or replace its side's report of a completed exchange; errors come back by field."""
    found = exchange_pages.page(session, principal=viewer.principal, exchange_id=exchange_id)
    if found.side is None:  # not reached: the page is readable only to its two sides
        raise Forbidden("only the exchange's two institutions report on it")
    report = ReportForm.read(fields)
    try:
        exchanges.put_report(session, principal=viewer.principal, exchange_id=exchange_id, side=found.side,
                             data=report.to_put())  # fmt: skip
    except StaleVersion:
        return exchange_page(request, viewer, found, template=TEMPLATE, report=report, report_stale=True,
                             status=409)  # fmt: skip
    except (FormErrors, InvalidInput) as exc:
        errors = exc.errors if isinstance(exc, FormErrors) else FormErrors.of(exc).errors
        return exchange_page(request, viewer, found, template=TEMPLATE, report=report,
                             report_errors=errors, status=422)  # fmt: skip
    return redirect(f"/ui/my/exchanges/{exchange_id}?saved=1#report")
