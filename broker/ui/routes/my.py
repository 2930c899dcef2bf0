"""An institution's own pages: its requests and offers, a plain-language form to post and edit them
(with a step that suggests codes from the text), their ranked matches, and its signal on each match.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from broker.api.deps import EngineDep, RowId, SessionDep, WriteIntent
from broker.errors import InvalidInput, StaleVersion
from broker.models import KnowledgeRequest, Offer, SignalKind
from broker.ranking.engine import MatchEngine
from broker.schemas.signal import NOTE_MAX, SignalPut
from broker.services import my_workspace, signals
from broker.services.ui_sessions import Viewer
from broker.ui.deps import InstitutionPostingViewerDep, InstitutionViewerDep
from broker.ui.forms import CODE_KINDS, NUMBERS, STATUSES, FormErrors, FormFields, Kind, RecordForm
from broker.ui.rendering import MY_HOME, UiRoute, redirect, render

router = APIRouter(prefix="/ui/my", route_class=UiRoute, include_in_schema=False)
Plural = Literal["requests", "offers"]
# Any: the services take either model through one type variable, which a union cannot bind.
MODELS: dict[str, Any] = {"requests": KnowledgeRequest, "offers": Offer}
KINDS: dict[str, Kind] = {"requests": "request", "offers": "offer"}
Fields = Annotated[FormFields, Form()]


@router.get("")
@router.get("/")
def home(_: InstitutionViewerDep) -> RedirectResponse:
    return redirect(MY_HOME)


@router.get("/{plural}")
def own_list(
    request: Request,
    plural: Plural,
    session: SessionDep,
    viewer: InstitutionViewerDep,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> HTMLResponse:
    """The institution's own requests (or offers), drafts included."""
    items, total = my_workspace.list_own(session, MODELS[plural], principal=viewer.principal, offset=offset)
    institution = my_workspace.own_institution(session, principal=viewer.principal)
    context = {
        "viewer": viewer,
        "section": plural,
        "plural": plural,
        "kind": KINDS[plural],
        "items": items,
        "total": total,
        "offset": offset,
        "page_size": my_workspace.PAGE_SIZE,
        "institution": institution,
    }
    return render(request, "my/list.html", context)


@router.get("/{plural}/new")
def new_form(
    request: Request, plural: Plural, session: SessionDep, viewer: InstitutionViewerDep
) -> HTMLResponse:
    """An empty form: title and description first, codes after the suggestion step."""
    return _form_page(request, session, viewer, RecordForm(kind=KINDS[plural]), plural=plural, item_id=None)


@router.post("/{plural}/new", response_model=None)
def create(
    request: Request,
    plural: Plural,
    fields: Fields,
    session: SessionDep,
    viewer: InstitutionPostingViewerDep,
    engine: EngineDep,
) -> HTMLResponse | RedirectResponse:
    """``action=suggest`` re-renders the form with suggested codes; ``action=save`` creates the record."""
    form = RecordForm.read(KINDS[plural], fields)
    if fields.action == "suggest":
        return _suggested(request, session, viewer, engine, form, plural=plural, item_id=None)
    try:
        item = my_workspace.create_own(
            session, MODELS[plural], principal=viewer.principal, engine=engine, data=form.to_create()
        )
    except (FormErrors, InvalidInput) as exc:
        return _refused(request, session, viewer, form, exc, plural=plural, item_id=None)
    return redirect(f"/ui/my/{plural}/{item.id}?saved=1")


@router.get("/{plural}/{item_id}")
def record_page(
    _: WriteIntent,
    request: Request,
    plural: Plural,
    item_id: RowId,
    session: SessionDep,
    viewer: InstitutionViewerDep,
    engine: EngineDep,
    saved: bool = False,
) -> HTMLResponse:
    """The record and its ranked matches, each with fit, reasons, estimated cost and signal buttons."""
    page = my_workspace.record_page(
        session, MODELS[plural], engine=engine, principal=viewer.principal, item_id=item_id
    )
    context = {"viewer": viewer, "section": plural, "plural": plural, "page": page, "saved": saved}
    return render(request, "my/record.html", context)


@router.get("/{plural}/{item_id}/edit")
def edit_form(
    request: Request, plural: Plural, item_id: RowId, session: SessionDep, viewer: InstitutionViewerDep
) -> HTMLResponse:
    """The form filled in from the stored record, with the version it was read at."""
    item = my_workspace.get_own(session, MODELS[plural], principal=viewer.principal, item_id=item_id)
    form = RecordForm.of_item(KINDS[plural], item)
    return _form_page(
        request, session, viewer, form, plural=plural, item_id=item_id, suggested=item.suggested or None
    )


@router.post("/{plural}/{item_id}/edit", response_model=None)
def update(
    request: Request,
    plural: Plural,
    item_id: RowId,
    fields: Fields,
    session: SessionDep,
    viewer: InstitutionPostingViewerDep,
    engine: EngineDep,
) -> HTMLResponse | RedirectResponse:
    """Save an edit made at the form's version; a stale one comes back with the user's input kept."""
    my_workspace.get_own(session, MODELS[plural], principal=viewer.principal, item_id=item_id)
    form = RecordForm.read(KINDS[plural], fields)
    if fields.action == "suggest":
        return _suggested(request, session, viewer, engine, form, plural=plural, item_id=item_id)
    try:
        my_workspace.update_own(
            session,
            MODELS[plural],
            principal=viewer.principal,
            engine=engine,
            item_id=item_id,
            data=form.to_update(),
        )
    except StaleVersion:
        message = (
            "Someone changed this record while you were editing it. Your text is kept below; "
            "open the record again to see the current version, then reapply your change."
        )
        return _form_page(
            request, session, viewer, form, plural=plural, item_id=item_id, stale=message, status=409
        )
    except (FormErrors, InvalidInput) as exc:
        return _refused(request, session, viewer, form, exc, plural=plural, item_id=item_id)
    return redirect(f"/ui/my/{plural}/{item_id}?saved=1")


@router.post("/matches/{match_id}/signal")
def signal(
    match_id: RowId,
    session: SessionDep,
    viewer: InstitutionPostingViewerDep,
    signal: Annotated[SignalKind, Form()],
    back: Annotated[str, Form(max_length=200)] = "",
    note: Annotated[str, Form(max_length=NOTE_MAX)] = "",
) -> RedirectResponse:
    """Interested / not relevant, through the same service as ``PUT /api/v1/matches/{id}/signal``."""
    signals.record_signal(
        session,
        principal=viewer.principal,
        match_id=match_id,
        data=SignalPut(signal=signal, note=note or None),
    )
    target = back if back.startswith("/ui/my/") and "//" not in back and ".." not in back else MY_HOME
    return redirect(f"{target}#match-{match_id}")


def _suggested(
    request: Request,
    session: Session,
    viewer: Viewer,
    engine: MatchEngine,
    form: RecordForm,
    *,
    plural: str,
    item_id: int | None,
) -> HTMLResponse:
    if len(form.title) < 3 or len(form.description) < 10:
        errors = {"description": ["write a title and a sentence or more first: codes are read from them"]}
        return _form_page(
            request, session, viewer, form, plural=plural, item_id=item_id, errors=errors, status=422
        )
    found = my_workspace.suggest(session, engine=engine, title=form.title, description=form.description)
    form.accept_confident(found)
    return _form_page(
        request, session, viewer, form, plural=plural, item_id=item_id, suggested=found, suggesting=True
    )


def _refused(
    request: Request,
    session: Session,
    viewer: Viewer,
    form: RecordForm,
    exc: FormErrors | InvalidInput,
    *,
    plural: str,
    item_id: int | None,
) -> HTMLResponse:
    errors = exc.errors if isinstance(exc, FormErrors) else FormErrors.of(exc).errors
    return _form_page(
        request, session, viewer, form, plural=plural, item_id=item_id, errors=errors, status=422
    )


def _form_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    form: RecordForm,
    *,
    plural: str,
    item_id: int | None,
    suggested: dict[str, Any] | None = None,
    suggesting: bool = False,
    errors: dict[str, list[str]] | None = None,
    stale: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "viewer": viewer,
        "section": plural,
        "plural": plural,
        "kind": form.kind,
        "form": form,
        "item_id": item_id,
        "institution": my_workspace.own_institution(session, principal=viewer.principal),
        "options": {k: form.options(k, suggested) for k in CODE_KINDS[form.kind]},
        "numbers": NUMBERS[form.kind],
        "statuses": STATUSES[form.kind],
        "suggesting": suggesting,
        "errors": errors or {},
        "stale": stale,
    }
    return render(request, "my/form.html", context, status=status)
