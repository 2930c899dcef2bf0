"""Who is signed in to the staff pages, and the CSRF check every form post goes through.

Two CSRF defences, both compared in constant time:
- a signed-in session has its own random token, put in a hidden field of every form it posts;
- the sign-in form, which has no session yet, uses a double-submit cookie: the page sets a random
  value in a SameSite=Strict, HttpOnly cookie and in the form, and the post must bring both.
A post that fails either check is refused with 403 before anything is written.

Each kind of viewer keeps to its own pages: staff, brokers and admins the workspace, an institution
its pages under /ui/my. A page of the other kind sends the browser home; a form post of the other
kind is refused.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Request, Response

from broker.api.deps import SessionDep
from broker.errors import Forbidden, TooManyRequests
from broker.services import keys, ui_sessions
from broker.services.ui_sessions import SESSION_LIFETIME, Viewer
from broker.ui.rendering import HOME, MY_HOME, SeeOther

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
    """The viewer of a staff page; an institution's session is sent to its own pages instead."""
    viewer = _viewer(request, session)
    if viewer.is_institution:
        raise SeeOther(MY_HOME)
    keys.record_use(session, key_id=viewer.principal.key_id)
    return viewer


def institution_viewer(request: Request, session: SessionDep) -> Viewer:
    """The viewer of an institution's own page; staff, brokers and admins are sent to the workspace."""
    viewer = _viewer(request, session)
    if not viewer.is_institution:
        raise SeeOther(HOME)
    keys.record_use(session, key_id=viewer.principal.key_id)
    return viewer


def posting_viewer(request: Request, session: SessionDep, csrf_token: Annotated[str, Form()] = "") -> Viewer:
    """The viewer behind a form post, once the form's CSRF token matches their session's."""
    viewer = _viewer(request, session)
    if not ui_sessions.tokens_match(csrf_token, viewer.csrf_token):
        raise Forbidden(CSRF_REFUSED)
    keys.record_use(session, key_id=viewer.principal.key_id)
    return viewer


def institution_posting_viewer(viewer: Annotated[Viewer, Depends(posting_viewer)]) -> Viewer:
    """The institution behind a form post of its own pages (with the CSRF check done)."""
    if not viewer.is_institution:
        raise Forbidden("these forms are for institution accounts")
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]
PostingViewerDep = Annotated[Viewer, Depends(posting_viewer)]
InstitutionViewerDep = Annotated[Viewer, Depends(institution_viewer)]
InstitutionPostingViewerDep = Annotated[Viewer, Depends(institution_posting_viewer)]


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
