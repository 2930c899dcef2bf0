"""Who is signed in to the staff pages, and the CSRF check every form post goes through.

Two CSRF defences, both compared in constant time:
- a signed-in session has its own random token, put in a hidden field of every form it posts;
- the sign-in form, which has no session yet, uses a double-submit cookie: the page sets a random
  value in a SameSite=Strict, HttpOnly cookie and in the form, and the post must bring both.
A post that fails either check is refused with 403 before anything is written.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request, Response

from broker.api.deps import SessionDep
from broker.errors import Forbidden, TooManyRequests
from broker.services import keys, ui_sessions
from broker.services.ui_sessions import SESSION_LIFETIME, Viewer

SESSION_COOKIE = "kb_ui_session"
SIGN_IN_COOKIE = "kb_ui_sign_in"
COOKIE_PATH = "/ui"
SIGN_IN_COOKIE_SECONDS = 3600
CSRF_REFUSED = "this form's security token is missing or out of date: reload the page and try again"


def _viewer(request: Request, session: SessionDep) -> Viewer:
    viewer = ui_sessions.resolve(session, token=request.cookies.get(SESSION_COOKIE))
    request.state.principal = viewer.principal
    return viewer


def current_viewer(request: Request, session: SessionDep) -> Viewer:
    viewer = _viewer(request, session)
    keys.record_use(session, key_id=viewer.principal.key_id)
    return viewer


def posting_viewer(request: Request, session: SessionDep, csrf_token: Annotated[str, Form()] = "") -> Viewer:
    """The viewer behind a form post, once the form's CSRF token matches their session's."""
    viewer = _viewer(request, session)
    if not ui_sessions.tokens_match(csrf_token, viewer.csrf_token):
        raise Forbidden(CSRF_REFUSED)
    keys.record_use(session, key_id=viewer.principal.key_id)
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]
PostingViewerDep = Annotated[Viewer, Depends(posting_viewer)]


def set_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(
        name, path=COOKIE_PATH, secure=request.url.scheme == "https", httponly=True, samesite="strict"
    )


def start_session(request: Request, response: Response, token: str) -> None:
    set_cookie(request, response, SESSION_COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()))
    clear_cookie(request, response, SIGN_IN_COOKIE)


def check_sign_in_token(request: Request, sent: str) -> None:
    if not ui_sessions.tokens_match(sent, request.cookies.get(SIGN_IN_COOKIE)):
        raise Forbidden(CSRF_REFUSED)


def check_sign_in_throttle(request: Request) -> None:
    """Failed sign-ins count against the same per-address limit as failed /api authentications."""
    limiter = getattr(request.app.state, "auth_failures", None)
    client = request.client.host if request.client else "unknown"
    wait = limiter.retry_after(client) if limiter else None
    if wait is not None:
        raise TooManyRequests(f"too many failed sign-ins from this address; try again in {wait} s")


def record_sign_in_failure(request: Request) -> None:
    limiter = getattr(request.app.state, "auth_failures", None)
    if limiter is not None:
        limiter.record(request.client.host if request.client else "unknown")
