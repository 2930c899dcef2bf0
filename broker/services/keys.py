"""API keys: issue (shown once), authenticate (hash lookup, constant-time check), list, revoke."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from broker.errors import Conflict, InvalidInput, NotFound, Unauthorized
from broker.models import ApiKey, Institution, Role
from broker.services import audit
from broker.services.principal import Principal

KEY_PREFIX = "kb_"
LAST_USED_RESOLUTION = timedelta(minutes=5)
log = logging.getLogger(__name__)


def hash_key(key: str) -> str:
    # Keys carry 256 random bits, so a fast unsalted hash cannot be brute-forced; no KDF needed.
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    row: ApiKey
    key: str


def issue_key(
    session: Session,
    *,
    name: str,
    role: Role,
    institution_id: int | None = None,
    expires_at: datetime | None = None,
    actor: Principal | None = None,
) -> IssuedKey:
    if role == Role.institution and institution_id is None:
        raise InvalidInput("an institution key needs institution_id")
    if role != Role.institution and institution_id is not None:
        raise InvalidInput("only institution keys are bound to an institution")
    if institution_id is not None and session.get(Institution, institution_id) is None:
        raise NotFound(f"institution {institution_id} not found")
    if expires_at is not None and _aware(expires_at) <= datetime.now(UTC):
        raise InvalidInput("expires_at must be in the future")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        role=role.value,
        institution_id=institution_id,
        prefix=key[:12],
        key_hash=hash_key(key),
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    detail = {"role": role.value, "name": name, "institution_id": institution_id}
    audit.record(session, event="key.created", principal=actor, subject=f"key {row.id}", detail=detail)
    return IssuedKey(row=row, key=key)


def authenticate(session: Session, token: str | None) -> Principal:
    if not token:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    digest = hash_key(token)
    row = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if row is None or not hmac.compare_digest(row.key_hash, digest):
        raise Unauthorized("invalid API key")
    now = datetime.now(UTC)
    if row.revoked_at is not None:
        raise Unauthorized("this API key has been revoked")
    if row.expires_at is not None and _aware(row.expires_at) <= now:
        raise Unauthorized("this API key has expired")
    return Principal(key_id=row.id, name=row.name, role=Role(row.role), institution_id=row.institution_id)


def record_use(session: Session, *, key_id: int) -> None:
    """Note when a key was last used, at most every few minutes and never at the cost of the request.

    It runs in a savepoint: if the database is busy the bookkeeping is skipped, not the request.
    It does not bump the row version, since it is bookkeeping, not an edit.
    """
    cutoff = datetime.now(UTC) - LAST_USED_RESOLUTION
    last = session.scalar(select(ApiKey.last_used_at).where(ApiKey.id == key_id))
    if last is not None and _aware(last) >= cutoff:
        return
    try:
        with session.begin_nested():
            session.execute(
                update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=datetime.now(UTC)),
                execution_options={"synchronize_session": False},
            )
    except OperationalError:
        log.info("skipped recording the use of key %s: database busy", key_id)


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(session: Session, *, key_id: int, actor: Principal | None = None) -> ApiKey:
    """Revoke a key; the last usable admin key cannot be revoked (nobody could issue keys then)."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFound(f"API key {key_id} not found")
    if row.revoked_at is None:
        if row.role == Role.admin.value and _usable_admin_key_ids(session, lock=True) == [row.id]:
            raise Conflict("this is the last usable admin key: issue another admin key before revoking it")
        row.revoked_at = datetime.now(UTC)
        session.flush()
        detail = {"role": row.role, "name": row.name}
        audit.record(session, event="key.revoked", principal=actor, subject=f"key {row.id}", detail=detail)
    return row


def count_active_admin_keys(session: Session) -> int:
    stmt = select(func.count()).where(ApiKey.role == Role.admin.value, ApiKey.revoked_at.is_(None))
    return session.scalar(stmt) or 0


def _usable_admin_key_ids(session: Session, *, lock: bool) -> list[int]:
    """Admin keys neither revoked nor expired; ``lock`` holds them until the transaction ends, so two
    admins revoking each other's keys at once cannot both succeed (PostgreSQL; SQLite writes are serial)."""
    stmt = select(ApiKey.id, ApiKey.expires_at).where(
        ApiKey.role == Role.admin.value, ApiKey.revoked_at.is_(None)
    )
    rows = session.execute(stmt.with_for_update() if lock else stmt).all()
    now = datetime.now(UTC)
    return sorted(key_id for key_id, expires in rows if expires is None or _aware(expires) > now)


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; every timestamp we store is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
