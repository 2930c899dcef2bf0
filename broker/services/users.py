"""People's accounts: invitations, passwords (Argon2id), one-time links, a TOTP second factor.

Passwords are hashed with argon2-cffi's Argon2id defaults (RFC 9106 low-memory profile) and
rehashed on sign-in when those defaults change. One-time tokens carry 256 random bits, so, like
API keys, only their SHA-256 is stored. Every refusal of a sign-in says the same thing, whatever
was wrong, so the answer never tells whether an email has an account.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from broker.models import Institution, Role, TokenPurpose, UiSession, User, UserToken
from broker.services import audit

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # hashing is deliberately slow; a megabyte "password" should not be
SIGN_IN_REFUSED = "wrong email or password, or the account cannot sign in"
LINK_INVALID = "this link is not valid: it was used already, has expired or was replaced by a newer one"
SECOND_FACTOR_LIFETIME = timedelta(minutes=5)
RECOVERY_CODES = 8
TOTP_ISSUER = "knowledge-broker"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# argon2-cffi's defaults: Argon2id, RFC 9106's second recommended profile (t=3, 64 MiB, p=4).
# Tests swap in a cheap Argon2id (tests/factories.py); production never changes it.
PRODUCTION_HASHER = PasswordHasher()
hasher = PRODUCTION_HASHER
_dummy_hashes: dict[int, str] = {}


@dataclass(frozen=True)
class IssuedLink:
    """A user and the one-time token of their link (shown once, never stored)."""

    user: User
    token: str
    purpose: TokenPurpose
    expires_at: datetime


def normalize_email(email: str) -> str:
    """The stored form of an address: trimmed and lower-cased.

    Raises:
        InvalidInput: it does not look like an email address.
    """
    value = email.strip().lower()
    if len(value) > 320 or not _EMAIL.match(value):
        raise InvalidInput("not a valid email address")
    return value


def check_password(password: str, *, email: str) -> None:
    """Refuse a password that is too short, too long, or the email (or its name part) itself.

    Raises:
        InvalidInput: with the reason.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    lowered = password.strip().lower()
    if lowered in (email.lower(), email.lower().split("@", 1)[0]):
        raise InvalidInput("the password must not be your email address")


def hash_password(password: str) -> str:
    """The Argon2id hash (PHC string) of a password."""
    return hasher.hash(password)


def principal_for(user: User) -> Principal:
    return Principal(
        key_id=None,
        name=user.display_name,
        role=Role(user.role),
        institution_id=user.institution_id,
        user_id=user.id,
        institution_admin=user.is_institution_admin,
    )


def find_by_email(session: Session, *, email: str) -> User | None:
    try:
        return session.scalar(select(User).where(User.email == normalize_email(email)))
    except InvalidInput:
        return None


def get_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def list_users(session: Session, *, actor: Principal) -> list[User]:
    """Every account for an admin; an institution administrator's own institution's accounts."""
    _require_manager(actor)
    stmt = select(User).order_by(User.id)
    if actor.role != Role.admin:
        stmt = stmt.where(User.institution_id == actor.institution_id)
    return list(session.scalars(stmt))


def invite(
    session: Session,
    *,
    actor: Principal,
    email: str,
    display_name: str,
    role: Role,
    institution_id: int | None = None,
    institution_admin: bool = False,
    lifetime: timedelta = timedelta(hours=72),
) -> IssuedLink:
    """Create an account without a password and its invitation link.

    Raises:
        Forbidden: the actor may not invite this role or for this institution.
        InvalidInput: bad email, or the institution does not fit the role.
        NotFound: no such institution.
        Conflict: the email has an account already.
    """
    _require_manager(actor)
    if actor.role != Role.admin:
        if role != Role.institution:
            raise Forbidden("an institution's administrator may invite institution users only")
        if institution_id is not None and institution_id != actor.institution_id:
            raise Forbidden("an institution's administrator may invite for their own institution only")
        institution_id = actor.institution_id
    if role == Role.institution and institution_id is None:
        raise InvalidInput("an institution user needs institution_id")
    if role != Role.institution and (institution_id is not None or institution_admin):
        raise InvalidInput("only institution users belong to an institution or administer one")
    if institution_id is not None and session.get(Institution, institution_id) is None:
        raise NotFound(f"institution {institution_id} not found")
    name = display_name.strip()
    if not name:
        raise InvalidInput("display_name must not be empty")
    address = normalize_email(email)
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise Conflict("this email has an account already: send a password reset link instead")
    user = User(
        email=address,
        display_name=name[:200],
        role=role.value,
        institution_id=institution_id,
        is_institution_admin=institution_admin,
        invited_by_user_id=actor.user_id,
        invited_by_key_id=actor.key_id or None,
    )
    session.add(user)
    session.flush()
    detail = {"role": role.value, "institution_id": institution_id, "institution_admin": institution_admin}
    audit.record(session, event="user.invited", principal=actor, subject=_subject(user), detail=detail)
    return issue_link(session, user=user, purpose=TokenPurpose.invite, lifetime=lifetime)


def reset_link(
    session: Session, *, actor: Principal, user_id: int, lifetime: timedelta = timedelta(hours=1)
) -> IssuedLink:
    """A password reset link for a user (an invitation link again if they never set a password).

    Raises:
        NotFound: no such user, or one the actor may not manage.
        Conflict: the account is disabled.
    """
    user = managed_user(session, actor=actor, user_id=user_id)
    if user.disabled:
        raise Conflict("this account is disabled: enable it first")
    purpose = TokenPurpose.reset if user.password_hash else TokenPurpose.invite
    audit.record(session, event="user.reset_link", principal=actor, subject=_subject(user))
    return issue_link(session, user=user, purpose=purpose, lifetime=lifetime)


def request_reset(session: Session, *, email: str, lifetime: timedelta) -> IssuedLink | None:
    """Someone asked for a reset link by email: a link if the account can have one, else None."""
    user = find_by_email(session, email=email)
    if user is None or user.disabled or user.password_hash is None:
        return None
    audit.record(session, event="user.reset_requested", principal=None, subject=_subject(user))
    return issue_link(session, user=user, purpose=TokenPurpose.reset, lifetime=lifetime)


def issue_link(session: Session, *, user: User, purpose: TokenPurpose, lifetime: timedelta) -> IssuedLink:
    """A new one-time token; the user's older unused tokens of the same purpose stop working."""
    now = datetime.now(UTC)
    session.execute(
        update(UserToken)
        .where(UserToken.user_id == user.id, UserToken.purpose == purpose.value, UserToken.used_at.is_(None))
        .values(used_at=now),
        execution_options={"synchronize_session": "fetch"},
    )
    token = secrets.token_urlsafe(32)
    row = UserToken(
        user_id=user.id,
        purpose=purpose.value,
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    return IssuedLink(user=user, token=token, purpose=purpose, expires_at=row.expires_at)


def peek_link(session: Session, *, token: str, purpose: TokenPurpose) -> User:
    """The user a still-valid link stands for, without using it up.

    Raises:
        InvalidInput: unknown, used, expired, or the account is disabled.
    """
    return _valid_token(session, token=token, purpose=purpose)[1]


def set_password_from_link(session: Session, *, token: str, purpose: TokenPurpose, password: str) -> User:
    """Accept an invitation or a reset: the link is used up and the user's sessions end.

    Raises:
        InvalidInput: the link is not valid, or the password is not acceptable (the link then
            still works).
    """
    row, user = _valid_token(session, token=token, purpose=purpose)
    check_password(password, email=user.email)
    row.used_at = datetime.now(UTC)
    user.password_hash = hash_password(password)
    end_sessions(session, user_id=user.id)
    session.flush()
    event = "user.password_set" if purpose == TokenPurpose.invite else "user.password_reset"
    audit.record(session, event=event, principal=principal_for(user), subject=_subject(user))
    return user


def authenticate(session: Session, *, email: str, password: str) -> User:
    """The user whose email and password these are, if they may sign in.

    Raises:
        Unauthorized: the same message for an unknown email, a wrong password, an account without a
            password yet, and a disabled account.
    """
    user = find_by_email(session, email=email)
    if user is None or user.password_hash is None or len(password) > MAX_PASSWORD_LENGTH:
        # Verify against a throwaway hash, so a refusal takes as long whether the email exists or not.
        _verify(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        raise Unauthorized(SIGN_IN_REFUSED)
    if not _verify(user.password_hash, password) or user.disabled:
        raise Unauthorized(SIGN_IN_REFUSED)
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def record_sign_in(session: Session, *, user: User) -> None:
    user.last_sign_in_at = datetime.now(UTC)
    session.flush()


def change_password(
    session: Session, *, user: User, current: str, new: str, keep_session_id: int | None
) -> None:
    """Change one's own password; every other session of the account ends.

    Raises:
        Unauthorized: the current password is wrong.
        InvalidInput: the new password is not acceptable.
    """
    if user.password_hash is None or not _verify(user.password_hash, current):
        raise Unauthorized("the current password is wrong")
    check_password(new, email=user.email)
    user.password_hash = hash_password(new)
    end_sessions(session, user_id=user.id, except_id=keep_session_id)
    session.flush()
    audit.record(
        session, event="user.password_changed", principal=principal_for(user), subject=_subject(user)
    )


def set_disabled(session: Session, *, actor: Principal, user_id: int, disabled: bool) -> User:
    """Disable an account (its sessions and links stop working at once) or enable it again.

    Raises:
        NotFound: no such user, or one the actor may not manage.
        Conflict: an actor disabling their own account.
    """
    user = managed_user(session, actor=actor, user_id=user_id)
    if disabled and actor.user_id == user.id:
        raise Conflict("you cannot disable your own account")
    now = datetime.now(UTC)
    if disabled and user.disabled_at is None:
        user.disabled_at = now
        end_sessions(session, user_id=user.id)
        session.execute(
            update(UserToken)
            .where(UserToken.user_id == user.id, UserToken.used_at.is_(None))
            .values(used_at=now),
            execution_options={"synchronize_session": "fetch"},
        )
        audit.record(session, event="user.disabled", principal=actor, subject=_subject(user))
    elif not disabled and user.disabled_at is not None:
        user.disabled_at = None
        audit.record(session, event="user.enabled", principal=actor, subject=_subject(user))
    session.flush()
    return user


def end_sessions(session: Session, *, user_id: int, except_id: int | None = None) -> None:
    stmt = update(UiSession).where(UiSession.user_id == user_id, UiSession.revoked_at.is_(None))
    if except_id is not None:
        stmt = stmt.where(UiSession.id != except_id)
    session.execute(
        stmt.values(revoked_at=datetime.now(UTC)), execution_options={"synchronize_session": "fetch"}
    )


# --- second factor ---------------------------------------------------------------------------


def begin_totp(session: Session, *, user: User) -> str:
    """A new pending TOTP secret; it guards sign-in only once a code from it is confirmed.

    Raises:
        Conflict: TOTP is on already (turn it off first).
    """
    if user.totp_enabled:
        raise Conflict("the second factor is on already")
    user.totp_secret = pyotp.random_base32()
    session.flush()
    return user.totp_secret


def totp_uri(user: User) -> str:
    """The otpauth:// URI an authenticator app reads (as text or as a QR code)."""
    if user.totp_secret is None:
        raise Conflict("no second factor is being set up")
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=TOTP_ISSUER)


def confirm_totp(session: Session, *, user: User, code: str) -> list[str]:
    """Turn TOTP on with a first right code; returns recovery codes (shown once).

    Raises:
        Conflict: nothing pending, or on already.
        InvalidInput: the code is wrong.
    """
    if user.totp_enabled or user.totp_secret is None:
        raise Conflict("no second factor is being set up")
    if not _totp_matches(user, code):
        raise InvalidInput("that code is not right: check the time on your device and try again")
    codes = [secrets.token_hex(5) for _ in range(RECOVERY_CODES)]
    user.recovery_code_hashes = [_hash(c) for c in codes]
    user.totp_enabled_at = datetime.now(UTC)
    session.flush()
    audit.record(session, event="user.totp_enabled", principal=principal_for(user), subject=_subject(user))
    return codes


def disable_totp(session: Session, *, user: User, password: str) -> None:
    """Turn TOTP off (or drop a pending setup); needs the password.

    Raises:
        Unauthorized: the password is wrong.
    """
    if user.password_hash is None or not _verify(user.password_hash, password):
        raise Unauthorized("the password is wrong")
    was_on = user.totp_enabled
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.recovery_code_hashes = []
    session.flush()
    if was_on:
        audit.record(
            session, event="user.totp_disabled", principal=principal_for(user), subject=_subject(user)
        )


def check_second_factor(session: Session, *, user: User, code: str) -> None:
    """Accept a current TOTP code (each at most once) or an unused recovery code (then used up).

    Raises:
        Unauthorized: neither.
    """
    code = code.strip().replace(" ", "").lower()
    if _totp_matches(user, code):
        session.flush()
        return
    digest = _hash(code)
    if digest in user.recovery_code_hashes:
        user.recovery_code_hashes = [h for h in user.recovery_code_hashes if h != digest]
        session.flush()
        audit.record(
            session, event="user.recovery_code_used", principal=principal_for(user), subject=_subject(user)
        )
        return
    raise Unauthorized("that code is not right")


def begin_second_factor(session: Session, *, user: User) -> str:
    """A short-lived token naming the user between the password step and the code step."""
    return issue_link(
        session, user=user, purpose=TokenPurpose.second_factor, lifetime=SECOND_FACTOR_LIFETIME
    ).token


def pending_second_factor(session: Session, *, token: str) -> tuple[UserToken, User]:
    """The user half-way through signing in.

    Raises:
        Unauthorized: no such step, or it expired.
    """
    try:
        return _valid_token(session, token=token, purpose=TokenPurpose.second_factor)
    except InvalidInput:
        raise Unauthorized("the sign-in took too long: start again") from None


def use_token(session: Session, *, row: UserToken) -> None:
    """Mark a one-time token used (the second-factor step once it succeeded)."""
    row.used_at = datetime.now(UTC)
    session.flush()


def _totp_matches(user: User, code: str) -> bool:
    if user.totp_secret is None or not re.fullmatch(r"\d{6}", code.strip()):
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now = datetime.now(UTC)
    for drift in (0, -1, 1):  # one 30 s step either way for clocks that are a little off
        moment = now + timedelta(seconds=30 * drift)
        step = totp.timecode(moment)
        if secrets.compare_digest(totp.at(moment), code.strip()):
            if user.totp_last_step is not None and step <= user.totp_last_step:
                return False  # seen already: a replayed code
            user.totp_last_step = step
            return True
    return False


# --- helpers ---------------------------------------------------------------------------------


def _require_manager(actor: Principal) -> None:
    if not actor.manages_accounts:
        raise Forbidden("only admins and institution administrators manage accounts")


def managed_user(session: Session, *, actor: Principal, user_id: int) -> User:
    _require_manager(actor)
    user = session.get(User, user_id)
    # Another institution's accounts are not even confirmed to exist.
    if user is None or (actor.role != Role.admin and user.institution_id != actor.institution_id):
        raise NotFound(f"user {user_id} not found")
    return user


def _valid_token(session: Session, *, token: str, purpose: TokenPurpose) -> tuple[UserToken, User]:
    found = session.execute(
        select(UserToken, User)
        .join(User, User.id == UserToken.user_id)
        .where(UserToken.token_hash == _hash(token))
    ).first()
    if found is None:
        raise InvalidInput(LINK_INVALID)
    row, user = found
    if (
        row.purpose != purpose.value
        or row.used_at is not None
        or row.expires_at <= datetime.now(UTC)
        or user.disabled
    ):
        raise InvalidInput(LINK_INVALID)
    return row, user


def _dummy_hash() -> str:
    found = _dummy_hashes.get(id(hasher))
    if found is None:
        found = _dummy_hashes[id(hasher)] = hasher.hash(secrets.token_urlsafe(16))
    return found


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _subject(user: User) -> str:
    return f"user {user.id} ({user.email})"
