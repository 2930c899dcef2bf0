"""Rendering one exchange's page, for staff and for an institution alike: its facts and history, the
edit form (filled from the exchange, or as the user typed it when refused) and the report form."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import HTMLResponse

from broker.reference import get_reference
from broker.services.exchange_pages import ExchangePage
from broker.services.ui_sessions import Viewer
from broker.ui.exchange_forms import ExchangeForm, ReportForm
from broker.ui.rendering import render

RATINGS = (1, 2, 3, 4, 5)


@dataclass(frozen=True, slots=True)
class Choice:
    code: str
    name: str


def exchange_page(
    request: Request,
    viewer: Viewer,
    page: ExchangePage,
    *,
    template: str,
    form: ExchangeForm | None = None,
    report: ReportForm | None = None,
    errors: dict[str, list[str]] | None = None,
    report_errors: dict[str, list[str]] | None = None,
    stale: bool = False,
    report_stale: bool = False,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The page; a stale edit (or report) keeps the user's input but takes the current version, so
    that once the current values shown above the form are checked, saving again goes through."""
    form = form or ExchangeForm.of_exchange(page.exchange)
    if stale:
        form.version = str(page.exchange.version)
    side = page.side.value if page.side else None
    current = page.reports.get(side) if side else None
    report = report or ReportForm.of_report(current)
    if report_stale:
        report.version = str(current.version if current else 0)
    ref = get_reference()
    context = {
        "viewer": viewer,
        "section": "exchanges",
        "page": page,
        "x": page.exchange,
        "form": form,
        "report": report,
        "errors": errors or {},
        "report_errors": report_errors or {},
        "stale": stale,
        "report_stale": report_stale,
        "notice": notice,
        "modalities": [m.code for m in ref.modalities],
        "outcomes": [Choice(code=o.code, name=o.name) for o in ref.outcomes],
        "outcome_names": {o.code: o.name for o in ref.outcomes},
        "ratings": RATINGS,
    }
    return render(request, template, context, status=status)
