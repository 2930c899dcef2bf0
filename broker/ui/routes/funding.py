"""Funding window pages: staff list every window and publish or edit one for any funder (under
/ui/funding); a funder institution lists, publishes and edits its own (under /ui/my/funding).

``my_router`` is included before ``my.router``, whose ``/ui/my/{plural}`` would otherwise take
``/ui/my/funding``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from broker.api.deps import EngineDep, RowId, SessionDep
from broker.errors import InvalidInput, NotFound, StaleVersion
from broker.i18n.names import INCOME_NAMES
from broker.models import FUNDER_KINDS, FundingWindow, FundingWindowStatus, Institution
from broker.reference import INCOME_LEVELS, get_reference
from broker.services import funding
from broker.services.ui_sessions import Viewer
from broker.ui.deps import (
    InstitutionPostingViewerDep,
    InstitutionViewerDep,
    PostingViewerDep,
    ViewerDep,
)
from broker.ui.forms import FormErrors
from broker.ui.funding_forms import WindowFields, WindowForm, form_errors
from broker.ui.rendering import UiRoute, redirect, render

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
my_router = APIRouter(prefix="/ui/my", route_class=UiRoute, include_in_schema=False)
PAGE_SIZE = 50
StatusFilter = Literal["", "draft", "open", "closed"]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
STAFF, OWN = "/ui/funding", "/ui/my/funding"


@router.get("/funding")
def list_windows(
    request: Request, session: SessionDep, viewer: ViewerDep, status: StatusFilter = "", offset: Offset = 0
) -> HTMLResponse:
    """Every funding window, oldest first, filtered by status."""
    return _listing(request, session, viewer, base=STAFF, status=status, offset=offset, institution_id=None)


@router.get("/funding/new")
def new_window(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    """An empty window form, with the funders to choose from."""
    return _form_page(request, session, viewer, base=STAFF, form=WindowForm(), window=None)


@router.post("/funding/new", response_model=None)
def create_window(
    request: Request,
    fields: Annotated[WindowFields, Form()],
    session: SessionDep,
    viewer: PostingViewerDep,
    engine: EngineDep,
) -> HTMLResponse | RedirectResponse:
    """Publish a window for the chosen funder; a refused form comes back with the input kept."""
    form = WindowForm.read(fields)
    chosen = int(form.institution_id) if form.institution_id.isdigit() else None
    return _create(request, session, viewer, engine, form=form, base=STAFF, institution_id=chosen)


@router.get("/funding/{window_id}")
def edit_window(
    request: Request, window_id: RowId, session: SessionDep, viewer: ViewerDep, saved: bool = False
) -> HTMLResponse:
    """The window's form, with what its exchanges commit and what remains."""
    window = funding.get_window(session, principal=viewer.principal, window_id=window_id)
    return _form_page(request, session, viewer, base=STAFF, form=WindowForm.of_window(window), window=window,
                      notice="saved" if saved else None)  # fmt: skip


@router.post("/funding/{window_id}", response_model=None)
def save_window(
    request: Request,
    window_id: RowId,
    fields: Annotated[WindowFields, Form()],
    session: SessionDep,
    viewer: PostingViewerDep,
    engine: EngineDep,
) -> HTMLResponse | RedirectResponse:
    """Save an edit made at the form's version; a stale or refused one comes back with the input kept."""
    window = funding.get_window(session, principal=viewer.principal, window_id=window_id)
    return _save(request, session, viewer, engine, window=window, form=WindowForm.read(fields), base=STAFF)


@my_router.get("/funding")
def own_windows(
    request: Request, session: SessionDep, viewer: InstitutionViewerDep, offset: Offset = 0
) -> HTMLResponse:
    """The institution's own funding windows (drafts, open and closed)."""
    return _listing(request, session, viewer, base=OWN, status="", offset=offset,
                    institution_id=viewer.principal.institution_id)  # fmt: skip


@my_router.get("/funding/new")
def new_own_window(request: Request, session: SessionDep, viewer: InstitutionViewerDep) -> HTMLResponse:
    """An empty window form for the institution itself."""
    return _form_page(request, session, viewer, base=OWN, form=WindowForm(), window=None)


@my_router.post("/funding/new", response_model=None)
def create_own_window(
    request: Request,
    fields: Annotated[WindowFields, Form()],
    session: SessionDep,
    viewer: InstitutionPostingViewerDep,
    engine: EngineDep,
) -> HTMLResponse | RedirectResponse:
    """Publish a window of the institution's own (multilateral, government or private institutions)."""
    return _create(request, session, viewer, engine, form=WindowForm.read(fields), base=OWN,
                   institution_id=viewer.principal.institution_id)  # fmt: skip


@my_router.get("/funding/{window_id}")
def edit_own_window(
    request: Request, window_id: RowId, session: SessionDep, viewer: InstitutionViewerDep, saved: bool = False
) -> HTMLResponse:
    """One of the institution's own windows (404 for another funder's)."""
    window = _own(session, viewer, window_id)
    return _form_page(request, session, viewer, base=OWN, form=WindowForm.of_window(window), window=window,
                      notice="saved" if saved else None)  # fmt: skip


@my_router.post("/funding/{window_id}", response_model=None)
def save_own_window(
    request: Request,
    window_id: RowId,
    fields: Annotated[WindowFields, Form()],
    session: SessionDep,
    viewer: InstitutionPostingViewerDep,
    engine: EngineDep,
) -> HTMLResponse | RedirectResponse:
    """Save an edit of one of the institution's own windows."""
    window = _own(session, viewer, window_id)
    return _save(request, session, viewer, engine, window=window, form=WindowForm.read(fields), base=OWN)


def _own(session: SessionDep, viewer: Viewer, window_id: int) -> FundingWindow:
    window = funding.get_window(session, principal=viewer.principal, window_id=window_id)
    if window.institution_id != viewer.principal.institution_id:
        raise NotFound(f"funding window {window_id} not found")
    return window


def _listing(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    *,
    base: str,
    status: str,
    offset: int,
    institution_id: int | None,
) -> HTMLResponse:
    windows, total = funding.list_windows(
        session, principal=viewer.principal, institution_id=institution_id, status=status or None,
        sector=None, region=None, limit=PAGE_SIZE, offset=offset,
    )  # fmt: skip
    own = session.get(Institution, institution_id) if institution_id else None
    context = {
        "viewer": viewer,
        "section": "funding",
        "windows": funding.window_views(session, windows=windows),
        "names": funding.funder_names(session, windows=windows),
        "total": total,
        "status": status,
        "statuses": [s.value for s in FundingWindowStatus],
        "offset": offset,
        "page_size": PAGE_SIZE,
        "base": base,
        "layout": "my/layout.html" if base == OWN else "base.html",
        "may_publish": own is None or own.kind in FUNDER_KINDS,
    }
    return render(request, "funding.html", context)


def _form_page(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    *,
    base: str,
    form: WindowForm,
    window: FundingWindow | None,
    errors: dict[str, list[str]] | None = None,
    stale: bool = False,
    notice: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    ref = get_reference()
    context: dict[str, Any] = {
        "viewer": viewer,
        "section": "funding",
        "form": form,
        "window": funding.window_view(session, window=window) if window else None,
        "funders": funding.funder_choices(session) if base == STAFF else [],
        # English names: the template translates them (modalities through their filter).
        "income_levels": [(level, INCOME_NAMES[level.lower().replace(" ", "_")]) for level in INCOME_LEVELS],
        "modalities": [(m.code, m.name) for m in ref.modalities],
        "statuses": [s.value for s in FundingWindowStatus],
        "errors": errors or {},
        "stale": stale,
        "notice": notice,
        "base": base,
        "layout": "my/layout.html" if base == OWN else "base.html",
    }
    return render(request, "funding_form.html", context, status=status)


def _create(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    engine: EngineDep,
    *,
    form: WindowForm,
    base: str,
    institution_id: int | None,
) -> HTMLResponse | RedirectResponse:
    try:
        data = form.to_create(institution_id=institution_id)
        window = funding.create_window(session, principal=viewer.principal, data=data, encoder=engine.encoder)
    except (FormErrors, InvalidInput) as exc:
        errors = exc.errors if isinstance(exc, FormErrors) else FormErrors.of(exc).errors
        return _form_page(request, session, viewer, base=base, form=form, window=None,
                          errors=form_errors(errors), status=422)  # fmt: skip
    return redirect(f"{base}/{window.id}?saved=1")


def _save(
    request: Request,
    session: SessionDep,
    viewer: Viewer,
    engine: EngineDep,
    *,
    window: FundingWindow,
    form: WindowForm,
    base: str,
) -> HTMLResponse | RedirectResponse:
    try:
        data = form.to_update()
        funding.update_window(session, principal=viewer.principal, window_id=window.id, data=data,
                              encoder=engine.encoder)  # fmt: skip
    except StaleVersion:
        return _form_page(request, session, viewer, base=base, form=form, window=window, stale=True,
                          status=409)  # fmt: skip
    except (FormErrors, InvalidInput) as exc:
        errors = exc.errors if isinstance(exc, FormErrors) else FormErrors.of(exc).errors
        return _form_page(request, session, viewer, base=base, form=form, window=window,
                          errors=form_errors(errors), status=422)  # fmt: skip
    return redirect(f"{base}/{window.id}?saved=1")
