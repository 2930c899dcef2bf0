"""Sessions of the web pages: a person (or an API key) signs in once and a cookie stands for them.

The cookie holds a random token; the database holds only its SHA-256, the key or user it stands
for and the session's CSRF token. A session ends when it is signed out, after ``SESSION_LIFETIME``,
or as soon as its key is revoked or expires, or its user is disabled (checked on every request).
A user's role and institution are read afresh on every request, so a change applies at once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.errors import Unauthorized
from broker.models import ApiKey, Role, UiSession, User
from broker.services import keys, users

SESSION_LIFETIME = timedelta(hours=8)
# The staff workspace shows every institution's records side by side; institutions have /ui/my.
WORKSPACE_ROLES = (Role.admin, Role.staff, Role.broker)
REVIEWER_ROLES = (Role.admin, Role.staff)


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking at a page, and the token their forms must carry."""

    principal: Principal
    session_id: int
    csrf_token: str

    @property
    def can_review(self) -> bool:
        return self.principal.role in REVIEWER_ROLES

    @property
    def is_institution(self) -> bool:
        return self.principal.role == Role.institution


@dataclass(frozen=True, slots=True)
class SignedIn:
    viewer: Viewer
    token: str  # for the cookie; never stored
    expires_at: datetime


def new_token() -> str:
    return secrets.token_urlsafe(32)


def tokens_match(sent: str | None, expected: str | None) -> bool:
    """Constant-time comparison of a form's token with the expected one; empty never matches."""
    if not sent or not expected:
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())


def sign_in(session: Session, *, api_key: str) -> SignedIn:
    """Check the key like the JSON API does and open a session for it.

    Raises:
        Unauthorized: the key is unknown, revoked or expired.

    Every role may sign in: staff, brokers and admins use the workspace, an institution key its own
    pages under /ui/my (see ``broker.ui.deps``, which keeps each to its own pages).
    """
    principal = keys.authenticate(session, api_key.strip() or None)
    assert principal.key_id is not None
    return _open(session, principal=principal, holder={"api_key_id": principal.key_id})


def sign_in_user(session: Session, *, user: User) -> SignedIn:
    """Open a session for a person whose password (and second factor) or single sign-on was checked."""
    users.record_sign_in(session, user=user)
    return _open(session, principal=users.principal_for(user), holder={"user_id": user.id})


def _open(session: Session, *, principal: Principal, holder: dict[str, int]) -> SignedIn:
    now = datetime.now(UTC)
    _forget_dead_sessions(session, holder=holder, now=now)
    token = new_token()
    row = UiSession(
        token_hash=_hash(token),
        csrf_token=new_token(),
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
        **holder,
    )
    session.add(row)
    session.flush()
    viewer = Viewer(principal=principal, session_id=row.id, csrf_token=row.csrf_token)
    return SignedIn(viewer=viewer, token=token, expires_at=row.expires_at)


def resolve(session: Session, *, token: str | None) -> Viewer:
    """The viewer a session cookie stands for.

    Raises:
        Unauthorized: no such session, or it was signed out, expired, its key was revoked or
            expired, or its user was disabled.
    """
    if not token:
        raise Unauthorized("not signed in")
    found = session.execute(
        select(UiSession, ApiKey, User)
        .outerjoin(ApiKey, ApiKey.id == UiSession.api_key_id)
        .outerjoin(User, User.id == UiSession.user_id)
        .where(UiSession.token_hash == _hash(token))
    ).first()
    if found is None:
        raise Unauthorized("not signed in")
    row, key, user = found
    now = datetime.now(UTC)
    if row.revoked_at is not None or row.expires_at <= now:
        raise Unauthorized("the session has ended; sign in again")
    if user is not None:
        if user.disabled:
            raise Unauthorized("this account is disabled")
        principal = users.principal_for(user)
    elif key is not None:
        if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
            raise Unauthorized("the API key behind this session is no longer valid")
        principal = Principal(
            key_id=key.id, name=key.name, role=Role(key.role), institution_id=key.institution_id
        )
    else:
        raise Unauthorized("not signed in")
    return Viewer(principal=principal, session_id=row.id, csrf_token=row.csrf_token)


def sign_out(session: Session, *, session_id: int) -> None:
    row = session.get(UiSession, session_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.flush()


def _forget_dead_sessions(session: Session, *, holder: dict[str, int], now: datetime) -> None:
    """Each sign-in clears its key's or user's ended sessions: the table stays as small as the live ones."""
    ((column, holder_id),) = holder.items()
    session.execute(
        delete(UiSession).where(
            getattr(UiSession, column) == holder_id,
            or_(UiSession.revoked_at.is_not(None), UiSession.expires_at <= now),
        ),
        execution_options={"synchronize_session": "fetch"},
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
