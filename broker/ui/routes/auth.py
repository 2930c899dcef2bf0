"""Signing in (email and password with an optional second factor, or an API key), signing out,
and the one-time links that set a password (invitation, reset)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from broker.api.deps import SessionDep, app_settings
from broker.errors import Forbidden, InvalidInput, Unauthorized
from broker.models import TokenPurpose, User
from broker.services import audit, links, ui_sessions, users
from broker.ui import deps
from broker.ui.rendering import SIGN_IN, UiRoute, redirect, render, safe_next

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
Next = Annotated[str | None, Query(max_length=2000)]
Token = Annotated[str, Form(max_length=200)]
Password = Annotated[str, Form(max_length=users.MAX_PASSWORD_LENGTH + 1)]
RESET_REQUESTS = "reset:"  # the throttle's own count of reset requests per address typed
RESET_SENT = (
    "If that address has an account, a reset link is on its way. "
    "If no mail arrives, ask your administrator for a reset link."
)


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
    email: Annotated[str, Form(max_length=320)] = "",
    password: Password = "",
    api_key: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Token = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse | RedirectResponse:
    deps.check_sign_in_token(request, csrf_token)
    deps.check_sign_in_throttle(request)
    if api_key:
        return _sign_in_with_key(request, session, api_key=api_key, next=safe_next(next))
    deps.check_account_throttle(request, email)
    client = _client(request)
    try:
        user = users.authenticate(session, email=email, password=password)
    except Unauthorized as exc:
        deps.record_sign_in_failure(request)
        deps.record_account_failure(request, email)
        detail = {"reason": "password", "email": email.strip().lower()[:320]}
        audit.record(session, event="sign_in.failed", principal=None, client=client, detail=detail)
        return _form(request, next=safe_next(next), error=str(exc.detail), email=email, status=401)
    if user.totp_enabled:
        token = users.begin_second_factor(session, user=user)
        response = redirect(f"/ui/sign-in/code?next={quote(safe_next(next), safe='')}")
        seconds = int(users.SECOND_FACTOR_LIFETIME.total_seconds())
        deps.set_cookie(request, response, deps.SECOND_FACTOR_COOKIE, token, max_age=seconds)
        return response
    return _signed_in(request, session, user=user, next=safe_next(next), method="password")


@router.get("/sign-in/code", response_model=None)
def second_factor_form(
    request: Request, session: SessionDep, next: Next = None
) -> HTMLResponse | RedirectResponse:
    try:
        users.pending_second_factor(session, token=request.cookies.get(deps.SECOND_FACTOR_COOKIE, ""))
    except Unauthorized:
        return redirect(SIGN_IN)
    return _code_form(request, next=safe_next(next))


@router.post("/sign-in/code", response_model=None)
def second_factor(
    request: Request,
    session: SessionDep,
    code: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Token = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse | RedirectResponse:
    deps.check_sign_in_token(request, csrf_token)
    deps.check_sign_in_throttle(request)
    try:
        step, user = users.pending_second_factor(
            session, token=request.cookies.get(deps.SECOND_FACTOR_COOKIE, "")
        )
    except Unauthorized as exc:
        return _form(request, next=safe_next(next), error=str(exc.detail), status=401)
    deps.check_account_throttle(request, user.email)
    try:
        users.check_second_factor(session, user=user, code=code)
    except Unauthorized as exc:
        deps.record_sign_in_failure(request)
        deps.record_account_failure(request, user.email)
        detail = {"reason": "second factor", "email": user.email}
        audit.record(session, event="sign_in.failed", principal=None, client=_client(request), detail=detail)
        return _code_form(request, next=safe_next(next), error=str(exc.detail), status=401)
    users.use_token(session, row=step)
    return _signed_in(request, session, user=user, next=safe_next(next), method="password+totp")


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep, viewer: deps.AnyPostingViewerDep) -> RedirectResponse:
    ui_sessions.sign_out(session, session_id=viewer.session_id)
    response = redirect(f"{SIGN_IN}?signed_out=1")
    deps.end_session(request, response)
    return response


@router.get("/invite/{token}")
def invitation_form(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    return _password_form(request, session, token=token, purpose=TokenPurpose.invite)


@router.post("/invite/{token}", response_model=None)
def accept_invitation(
    request: Request,
    session: SessionDep,
    token: str,
    password: Password = "",
    password_again: Password = "",
    csrf_token: Token = "",
) -> HTMLResponse | RedirectResponse:
    return _set_password(request, session, token, TokenPurpose.invite, password, password_again, csrf_token)


@router.get("/reset")
def reset_request_form(request: Request) -> HTMLResponse:
    return _reset_request_form(request)


@router.post("/reset")
def request_reset(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)] = "",
    csrf_token: Token = "",
) -> HTMLResponse:
    """Mail a reset link if the address has an account and mail is configured; always the same answer."""
    deps.check_sign_in_token(request, csrf_token)
    deps.check_sign_in_throttle(request)
    # Each request counts (apart from sign-in failures), so a mailbox cannot be flooded with links.
    deps.check_account_throttle(request, RESET_REQUESTS + email)
    deps.record_account_failure(request, RESET_REQUESTS + email)
    settings = app_settings(request)
    lifetime = timedelta(minutes=settings.reset_lifetime_minutes)
    issued = users.request_reset(session, email=email, lifetime=lifetime)
    if issued is not None:
        links.mail_link(settings, issued)
    return _reset_request_form(request, notice=RESET_SENT)


@router.get("/reset/{token}")
def reset_form(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    return _password_form(request, session, token=token, purpose=TokenPurpose.reset)


@router.post("/reset/{token}", response_model=None)
def reset_password(
    request: Request,
    session: SessionDep,
    token: str,
    password: Password = "",
    password_again: Password = "",
    csrf_token: Token = "",
) -> HTMLResponse | RedirectResponse:
    return _set_password(request, session, token, TokenPurpose.reset, password, password_again, csrf_token)


def _sign_in_with_key(
    request: Request, session: SessionDep, *, api_key: str, next: str
) -> HTMLResponse | RedirectResponse:
    client = _client(request)
    try:
        signed_in = ui_sessions.sign_in(session, api_key=api_key)
    except Unauthorized as exc:
        deps.record_sign_in_failure(request)
        audit.record(
            session, event="sign_in.failed", principal=None, client=client, detail={"reason": exc.detail}
        )
        return _form(request, next=next, error=str(exc.detail), status=401, api_key_error=True)
    except Forbidden as exc:
        audit.record(
            session, event="sign_in.refused", principal=None, client=client, detail={"reason": exc.detail}
        )
        return _form(request, next=next, error=str(exc.detail), status=403, api_key_error=True)
    audit.record(session, event="sign_in", principal=signed_in.viewer.principal, client=client)
    response = redirect(next)
    deps.start_session(request, response, signed_in.token)
    return response


def sign_in_refused(request: Request, *, error: str) -> HTMLResponse:
    """The sign-in page with an error (used by single sign-on when it fails)."""
    return _form(request, next="/ui/requests", error=error, status=401)


def _signed_in(
    request: Request, session: SessionDep, *, user: User, next: str, method: str
) -> RedirectResponse:
    signed_in = ui_sessions.sign_in_user(session, user=user)
    detail = {"method": method, "user_id": user.id}
    audit.record(
        session, event="sign_in", principal=signed_in.viewer.principal, client=_client(request), detail=detail
    )
    response = redirect(next)  # a staff page sends an institution on to its own pages (broker.ui.deps)
    deps.start_session(request, response, signed_in.token)
    return response


def _set_password(
    request: Request,
    session: SessionDep,
    token: str,
    purpose: TokenPurpose,
    password: str,
    password_again: str,
    csrf_token: str,
) -> HTMLResponse | RedirectResponse:
    deps.check_sign_in_token(request, csrf_token)
    user = users.peek_link(session, token=token, purpose=purpose)  # an invalid link: an error page
    if password != password_again:
        return _password_form(
            request, session, token=token, purpose=purpose, error="the two passwords differ", status=422
        )
    try:
        users.set_password_from_link(session, token=token, purpose=purpose, password=password)
    except InvalidInput as exc:
        return _password_form(
            request, session, token=token, purpose=purpose, error=str(exc.detail), status=422
        )
    notice = (
        "Your password is set: sign in with it."
        if purpose == TokenPurpose.invite
        else "Your password is changed: sign in with it."
    )
    return _form(request, next="/ui/requests", notice=notice, email=user.email)


def _password_form(
    request: Request,
    session: SessionDep,
    *,
    token: str,
    purpose: TokenPurpose,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    user = users.peek_link(session, token=token, purpose=purpose)
    title = "Welcome: choose a password" if purpose == TokenPurpose.invite else "Choose a new password"
    base = "/ui/invite/" if purpose == TokenPurpose.invite else "/ui/reset/"
    context = {
        "title": title,
        "email": user.email,
        "action": base + token,
        "error": error,
        "min_length": users.MIN_PASSWORD_LENGTH,
    }
    return _with_sign_in_token(request, "set_password.html", context, status=status)


def _form(
    request: Request,
    *,
    next: str,
    notice: str | None = None,
    error: str | None = None,
    email: str = "",
    status: int = 200,
    api_key_error: bool = False,
) -> HTMLResponse:
    settings = app_settings(request)
    oidc_name = (
        settings.oidc_provider_name if settings.oidc_discovery_url and settings.oidc_client_id else None
    )
    context = {
        "next": next,
        "notice": notice,
        "error": error,
        "email": email,
        "api_key_error": api_key_error,
        "oidc_name": oidc_name,
    }
    return _with_sign_in_token(request, "sign_in.html", context, status=status)


def _code_form(request: Request, *, next: str, error: str | None = None, status: int = 200) -> HTMLResponse:
    return _with_sign_in_token(request, "sign_in_code.html", {"next": next, "error": error}, status=status)


def _reset_request_form(request: Request, *, notice: str | None = None) -> HTMLResponse:
    return _with_sign_in_token(request, "reset_request.html", {"notice": notice, "error": None})


def _with_sign_in_token(
    request: Request, template: str, context: Mapping[str, object], *, status: int = 200
) -> HTMLResponse:
    """A page whose form posts without a session: its double-submit token goes in a cookie and the form."""
    token = ui_sessions.new_token()
    response = render(request, template, {"csrf_token": token, **context}, status=status)
    deps.set_cookie(request, response, deps.SIGN_IN_COOKIE, token, max_age=deps.SIGN_IN_COOKIE_SECONDS)
    return response


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None
