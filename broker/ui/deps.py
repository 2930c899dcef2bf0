"""Who is signed in to the staff pages, and the CSRF check every form post goes through.

Two CSRF defences, both compared in constant time:
- a signed-in session has its own random token, put in a hidden field of every form it posts;
- the sign-in form, which has no session yet, uses a double-submit cookie: the page sets a random
  value in a SameSite=Strict, HttpOnly cookie and in the form, and the post must bring both.
A post that fails either check is refused with 403 before anything is written.

Each kind of viewer keeps to its own pages: staff, brokers and admins the workspace, an institution
its pages under /ui/my. A page of the other kind sends the browser home; a form post of the other
kind is refused.

The session cookie is scoped to the whole site (path ``/``) so the JSON API accepts it too (see
broker.api.deps, which asks unsafe methods for the session's CSRF token in ``X-CSRF-Token``).
Failed sign-ins are throttled per client address (shared with failed /api authentications) and
per account (whatever address the attempts come from).
"""

from __future__ import annotations

import hashlib
import threading
from typing import Annotated

from fastapi import Depends, Form, Request, Response
from sqlalchemy.orm import Session

from broker.api.deps import SESSION_COOKIE, SessionDep
from broker.api.security import SlidingWindowLimiter
from broker.config import get_settings
from broker.errors import Forbidden, TooManyRequests
from broker.services import keys, ui_sessions
from broker.services.ui_sessions import SESSION_LIFETIME, WORKSPACE_ROLES, Viewer
from broker.ui.rendering import HOME, MY_HOME, SeeOther

SIGN_IN_COOKIE = "kb_ui_sign_in"
# Between the password and the second factor; names a short-lived step, not a session.
SECOND_FACTOR_COOKIE = "kb_ui_second_factor"
COOKIE_PATH = "/ui"
SESSION_COOKIE_PATH = "/"
SIGN_IN_COOKIE_SECONDS = 3600
CSRF_REFUSED = "this form's security token is missing or out of date: reload the page and try again"


def _viewer(request: Request, session: SessionDep) -> Viewer:
    viewer = ui_sessions.resolve(session, token=request.cookies.get(SESSION_COOKIE))
    request.state.principal = viewer.principal
    return viewer


def _record_use(session: Session, viewer: Viewer) -> None:
    if viewer.principal.key_id is not None:
        keys.record_use(session, key_id=viewer.principal.key_id)


def current_viewer(request: Request, session: SessionDep) -> Viewer:
    """The viewer of a staff page; an institution's session is sent to its own pages instead."""
    viewer = _viewer(request, session)
    if viewer.is_institution:
        raise SeeOther(MY_HOME)
    _record_use(session, viewer)
    return viewer


def institution_viewer(request: Request, session: SessionDep) -> Viewer:
    """The viewer of an institution's own page; staff, brokers and admins are sent to the workspace."""
    viewer = _viewer(request, session)
    if not viewer.is_institution:
        raise SeeOther(HOME)
    _record_use(session, viewer)
    return viewer


def any_viewer(request: Request, session: SessionDep) -> Viewer:
    """Anyone signed in, institution users included (account pages)."""
    viewer = _viewer(request, session)
    _record_use(session, viewer)
    return viewer


def any_posting_viewer(
    request: Request, session: SessionDep, csrf_token: Annotated[str, Form()] = ""
) -> Viewer:
    """Anyone signed in, behind a form post whose CSRF token matches their session's."""
    viewer = _viewer(request, session)
    if not ui_sessions.tokens_match(csrf_token, viewer.csrf_token):
        raise Forbidden(CSRF_REFUSED)
    _record_use(session, viewer)
    return viewer


def posting_viewer(viewer: Annotated[Viewer, Depends(any_posting_viewer)]) -> Viewer:
    """The workspace viewer behind a form post, once the form's CSRF token matches their session's."""
    if viewer.principal.role not in WORKSPACE_ROLES:
        raise Forbidden("the staff workspace is for staff, brokers and admins")
    return viewer


def institution_posting_viewer(viewer: Annotated[Viewer, Depends(any_posting_viewer)]) -> Viewer:
    """The institution behind a form post of its own pages (with the CSRF check done)."""
    if not viewer.is_institution:
        raise Forbidden("these forms are for institution accounts")
    return viewer


ViewerDep = Annotated[Viewer, Depends(current_viewer)]
PostingViewerDep = Annotated[Viewer, Depends(posting_viewer)]
InstitutionViewerDep = Annotated[Viewer, Depends(institution_viewer)]
InstitutionPostingViewerDep = Annotated[Viewer, Depends(institution_posting_viewer)]
AnyViewerDep = Annotated[Viewer, Depends(any_viewer)]
AnyPostingViewerDep = Annotated[Viewer, Depends(any_posting_viewer)]


def set_cookie(
    request: Request,
    response: Response,
    name: str,
    value: str,
    *,
    max_age: int,
    path: str = COOKIE_PATH,
    samesite: str = "strict",
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite=samesite,  # type: ignore[arg-type]
    )


def clear_cookie(
    request: Request, response: Response, name: str, *, path: str = COOKIE_PATH, samesite: str = "strict"
) -> None:
    response.delete_cookie(
        name,
        path=path,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite=samesite,  # type: ignore[arg-type]
    )


def start_session(request: Request, response: Response, token: str) -> None:
    set_cookie(
        request,
        response,
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path=SESSION_COOKIE_PATH,
    )
    clear_cookie(request, response, SIGN_IN_COOKIE)
    clear_cookie(request, response, SECOND_FACTOR_COOKIE)


def end_session(request: Request, response: Response) -> None:
    clear_cookie(request, response, SESSION_COOKIE, path=SESSION_COOKIE_PATH)


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


_account_limiter_lock = threading.Lock()


def _account_limiter(request: Request) -> SlidingWindowLimiter:
    """Failed sign-ins per account, made on first use (one per app, in memory like the address limit)."""
    with _account_limiter_lock:
        limiter: SlidingWindowLimiter | None = getattr(request.app.state, "account_failures", None)
        if limiter is None:
            settings = getattr(request.app.state, "settings", None) or get_settings()
            limiter = SlidingWindowLimiter(
                max_events=settings.account_failure_limit,
                window_seconds=settings.account_failure_window_seconds,
            )
            request.app.state.account_failures = limiter
        return limiter


def _account_key(email: str) -> str:
    # Keyed by what was typed (normalised), known account or not, so the limit tells nothing either.
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def check_account_throttle(request: Request, email: str) -> None:
    wait = _account_limiter(request).retry_after(_account_key(email))
    if wait is not None:
        raise TooManyRequests(f"too many failed sign-ins for this account; try again in {wait} s")


def record_account_failure(request: Request, email: str) -> None:
    _account_limiter(request).record(_account_key(email))
