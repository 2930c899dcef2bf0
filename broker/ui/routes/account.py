"""A person's own account page: the second factor (TOTP) and the password."""

from __future__ import annotations

from typing import Annotated

import segno
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from broker.api.deps import SessionDep
from broker.errors import Conflict, InvalidInput, Unauthorized
from broker.models import User
from broker.services import audit, users
from broker.services.ui_sessions import Viewer
from broker.ui import deps
from broker.ui.rendering import UiRoute, render

router = APIRouter(prefix="/ui/account", route_class=UiRoute, include_in_schema=False)
Password = Annotated[str, Form(max_length=users.MAX_PASSWORD_LENGTH + 1)]


@router.get("")
def account(request: Request, session: SessionDep, viewer: deps.AnyViewerDep) -> HTMLResponse:
    return _page(request, viewer, _user(session, viewer))


@router.post("/totp")
def begin_totp(request: Request, session: SessionDep, viewer: deps.AnyPostingViewerDep) -> HTMLResponse:
    user = _required_user(session, viewer)
    try:
        users.begin_totp(session, user=user)
    except Conflict as exc:
        return _page(request, viewer, user, error=str(exc.detail), status=409)
    return _page(request, viewer, user)


@router.post("/totp/confirm")
def confirm_totp(
    request: Request,
    session: SessionDep,
    viewer: deps.AnyPostingViewerDep,
    code: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    user = _required_user(session, viewer)
    try:
        codes = users.confirm_totp(session, user=user, code=code)
    except (Conflict, InvalidInput) as exc:
        return _page(request, viewer, user, error=str(exc.detail), status=exc.status)
    return _page(request, viewer, user, recovery_codes=codes)


@router.post("/totp/disable")
def disable_totp(
    request: Request, session: SessionDep, viewer: deps.AnyPostingViewerDep, password: Password = ""
) -> HTMLResponse:
    user = _required_user(session, viewer)
    try:
        users.disable_totp(session, user=user, password=password)
    except Unauthorized as exc:
        _failed(request, session, viewer, user, "turning the second factor off")
        return _page(request, viewer, user, error=str(exc.detail), status=403)
    return _page(request, viewer, user, notice="The second factor is off.")


@router.post("/password")
def change_password(
    request: Request,
    session: SessionDep,
    viewer: deps.AnyPostingViewerDep,
    current_password: Password = "",
    new_password: Password = "",
    new_password_again: Password = "",
) -> HTMLResponse:
    user = _required_user(session, viewer)
    if new_password != new_password_again:
        return _page(request, viewer, user, error="the two new passwords differ", status=422)
    try:
        users.change_password(
            session,
            user=user,
            current=current_password,
            new=new_password,
            keep_session_id=viewer.session_id,
        )
    except Unauthorized as exc:
        _failed(request, session, viewer, user, "changing the password")
        return _page(request, viewer, user, error=str(exc.detail), status=403)
    except InvalidInput as exc:
        return _page(request, viewer, user, error=str(exc.detail), status=422)
    return _page(request, viewer, user, notice="Your password is changed; other sessions were signed out.")


def _user(session: SessionDep, viewer: Viewer) -> User | None:
    if viewer.principal.user_id is None:
        return None
    return users.get_user(session, user_id=viewer.principal.user_id)


def _required_user(session: SessionDep, viewer: Viewer) -> User:
    user = _user(session, viewer)
    if user is None:
        raise Conflict("you signed in with an API key: account settings are for people's accounts")
    return user


def _failed(request: Request, session: SessionDep, viewer: Viewer, user: User, what: str) -> None:
    """A wrong password on this page counts like a failed sign-in (someone may be at an open session)."""
    deps.record_sign_in_failure(request)
    deps.record_account_failure(request, user.email)
    client = request.client.host if request.client else None
    detail = {"reason": f"wrong password when {what}"}
    audit.record(session, event="account.refused", principal=viewer.principal, client=client, detail=detail)


def _page(
    request: Request,
    viewer: Viewer,
    user: User | None,
    *,
    notice: str | None = None,
    error: str | None = None,
    recovery_codes: list[str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    uri = qr = None
    if user is not None and user.totp_secret and not user.totp_enabled:
        uri = users.totp_uri(user)
        qr = segno.make(uri, error="m").svg_data_uri(scale=4)
    context = {
        "viewer": viewer,
        "user": user,
        "notice": notice,
        "error": error,
        "recovery_codes": recovery_codes or [],
        "totp_uri": uri,
        "totp_qr": qr,
        "min_length": users.MIN_PASSWORD_LENGTH,
    }
    return render(request, "account.html", context, status=status)
