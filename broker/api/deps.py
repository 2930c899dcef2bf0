"""Request-scoped dependencies: the database session, the caller, paging."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.config import Settings, get_settings
from broker.db import allow_write_upgrade
from broker.errors import Forbidden, TooManyRequests
from broker.i18n import negotiate_locale
from broker.ranking.engine import MatchEngine
from broker.schemas.common import MAX_ID
from broker.services import audit, keys, ui_sessions

log = logging.getLogger(__name__)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# The web pages' session cookie (set by broker.ui) and the header an unsafe call must repeat its
# CSRF token in when it authenticates with that cookie instead of an API key.
SESSION_COOKIE = "kb_ui_session"
CSRF_HEADER = "X-CSRF-Token"


def declare_write(request: Request) -> None:
    """For GET endpoints that also write (e.g. storing proposed matches): list it before SessionDep."""
    request.state.writes = True


WriteIntent = Annotated[None, Depends(declare_write)]


def declare_read(request: Request) -> None:
    """For POST endpoints that only read (a body too large for a query string, e.g. exploring an
    unsaved request): list it before SessionDep, so the request does not queue for SQLite's write
    lock (it may still upgrade, as a GET does, through ``begin_writing``)."""
    request.state.reads_only = True


ReadIntent = Annotated[None, Depends(declare_read)]


def get_session(request: Request) -> Iterator[Session]:
    """One session per request: committed when the endpoint succeeds, rolled back when it raises."""
    with request.app.state.session_factory() as session:
        unsafe = request.method not in SAFE_METHODS and not getattr(request.state, "reads_only", False)
        if unsafe or getattr(request.state, "writes", False):
            # On SQLite take the write lock up front (see broker.db); ignored elsewhere.
            session.connection(execution_options={"sqlite_immediate": True})
        else:
            allow_write_upgrade(session)  # a read that finds it must write after all
        try:
            yield session
            session.commit()
        except BaseException as exc:
            session.rollback()
            after_failed_request(request, session, exc, take_write_lock=True)
            raise


def after_failed_request(
    request: Request, session: Session, exc: BaseException, *, take_write_lock: bool = False
) -> None:
    """What outlives a request's rolled-back work: the audit record of a refusal (403).

    ``take_write_lock``: the session's next transaction queues for the SQLite write lock like any
    writing request (a fresh session has none; a test's shared session already has its connection).
    """
    if isinstance(exc, Forbidden):
        if take_write_lock:
            try:
                session.connection(execution_options={"sqlite_immediate": True})
            except Exception:  # e.g. WriterTimeout: the refusal stands, its record is lost
                log.warning("could not record a refused request: no turn to write")
                return
        principal = getattr(request.state, "principal", None)
        audit.record_denied(
            session,
            principal=principal if isinstance(principal, Principal) else None,
            what=f"{request.method} {request.url.path}",
            client=request.client.host if request.client else None,
            reason=exc.detail,
        )


# scope="function": commit before the response is sent. FastAPI's default ("request") ends the
# dependency after the client has its 2xx, so a crash or a failed commit would lose an
# acknowledged write without anyone knowing.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
# Every ``{..._id}`` in a path: bounded like the columns it is looked up in.
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def response_locale(
    response: Response,
    accept_language: Annotated[
        str | None,
        Header(description="Language of the reasons: en, es, fr or pt (default en), e.g. 'fr-CA, fr;q=0.9'"),
    ] = None,
) -> str:
    """The language of a response's sentences (match reasons): the best match of Accept-Language
    among en, es, fr and pt (default en), announced in Content-Language. Errors stay English."""
    locale = negotiate_locale(accept_language)
    response.headers["content-language"] = locale
    response.headers.append("vary", "Accept-Language")
    return locale


LocaleDep = Annotated[str, Depends(response_locale)]


def app_settings(request: Request) -> Settings:
    """The settings the app was made with (tests make apps with their own)."""
    return getattr(request.app.state, "settings", None) or get_settings()


AppSettingsDep = Annotated[Settings, Depends(app_settings)]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer kb_...`")


def current_principal(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller: an API key (``Authorization: Bearer``) or, without one, a web session's cookie.

    A cookie-authenticated unsafe call must also send the session's CSRF token in ``X-CSRF-Token``,
    or it is refused with 403 before anything is written.
    """
    cookie = request.cookies.get(SESSION_COOKIE)
    if credentials is None and cookie:
        viewer = ui_sessions.resolve(session, token=cookie)
        request.state.principal = viewer.principal
        if request.method not in SAFE_METHODS and not ui_sessions.tokens_match(
            request.headers.get(CSRF_HEADER), viewer.csrf_token
        ):
            raise Forbidden(f"a call made with a session cookie needs its CSRF token in {CSRF_HEADER}")
        principal = viewer.principal
    else:
        principal = keys.authenticate(session, credentials.credentials if credentials else None)
        request.state.principal = principal
    if principal.key_id is not None:
        keys.record_use(session, key_id=principal.key_id)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def limit_expensive_calls(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> None:
    """At most ``expensive_calls_per_minute`` ranking, import, learning calls per key or session.

    Counted by the key presented, before any database work (a wrong key is refused later with 401),
    so it can run ahead of the session and of a GET's declared write.
    """
    presented = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    if not presented:
        return
    limiter = request.app.state.expensive_calls
    wait = limiter.acquire(hashlib.sha256(presented.encode()).hexdigest())
    if wait is not None:
        raise TooManyRequests(
            f"at most {limiter.max_events} ranking, import or learning calls a minute per key; "
            f"retry in {wait} s",
            retry_after=wait,
        )


ExpensiveCall = Depends(limit_expensive_calls)


def get_engine(request: Request) -> MatchEngine:
    return request.app.state.match_engine  # type: ignore[no-any-return]


EngineDep = Annotated[MatchEngine, Depends(get_engine)]


class Paging:
    def __init__(
        self,
        limit: Annotated[int, Query(ge=1, le=200, description="Page size")] = 50,
        offset: Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip")] = 0,
    ) -> None:
        self.limit = limit
        self.offset = offset


PagingDep = Annotated[Paging, Depends()]
