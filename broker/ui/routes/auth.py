"""Signing in with an API key (exchanged for a session cookie) and signing out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from broker.api.deps import SessionDep
from broker.errors import Forbidden, Unauthorized
from broker.services import audit, ui_sessions
from broker.ui import deps
from broker.ui.rendering import SIGN_IN, UiRoute, redirect, render, safe_next

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
Next = Annotated[str | None, Query(max_length=2000)]


@router.get("")
@router.get("/")
def home() -> RedirectResponse:
    return redirect("/ui/requests")


@router.get("/sign-in")
def sign_in_form(request: Request, next: Next = None, signed_out: bool = False) -> HTMLResponse:
    return _form(request, next=safe_next(next), notice="You are signed out." if signed_out else None)


@router.post("/sign-in", response_model=None)
def sign_in(
    request: Request,
    session: SessionDep,
    api_key: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse | RedirectResponse:
    deps.check_sign_in_token(request, csrf_token)
    deps.check_sign_in_throttle(request)
    client = request.client.host if request.client else None
    try:
        signed_in = ui_sessions.sign_in(session, api_key=api_key)
    except Unauthorized as exc:
        deps.record_sign_in_failure(request)
        audit.record(
            session, event="sign_in.failed", principal=None, client=client, detail={"reason": exc.detail}
        )
        return _form(request, next=safe_next(next), error=str(exc.detail), status=401)
    except Forbidden as exc:
        audit.record(
            session, event="sign_in.refused", principal=None, client=client, detail={"reason": exc.detail}
        )
        return _form(request, next=safe_next(next), error=str(exc.detail), status=403)
    audit.record(session, event="sign_in", principal=signed_in.viewer.principal, client=client)
    response = redirect(safe_next(next))
    deps.start_session(request, response, signed_in.token)
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep, viewer: deps.PostingViewerDep) -> RedirectResponse:
    ui_sessions.sign_out(session, session_id=viewer.session_id)
    response = redirect(f"{SIGN_IN}?signed_out=1")
    deps.clear_cookie(request, response, deps.SESSION_COOKIE)
    return response


def _form(
    request: Request, *, next: str, notice: str | None = None, error: str | None = None, status: int = 200
) -> HTMLResponse:
    token = ui_sessions.new_token()
    context = {"csrf_token": token, "next": next, "notice": notice, "error": error}
    response = render(request, "sign_in.html", context, status=status)
    deps.set_cookie(request, response, deps.SIGN_IN_COOKIE, token, max_age=deps.SIGN_IN_COOKIE_SECONDS)
    return response
