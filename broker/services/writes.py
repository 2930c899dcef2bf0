"""Helpers every write path uses: field updates with version checks, flush with clean conflicts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from broker.errors import Conflict, InvalidInput, StaleVersion


def new_external_id(kind: str) -> str:
    """A stable external id for a record created without one, so exports re-import idempotently."""
    return f"{kind}-{uuid.uuid4().hex[:16]}"


def check_version(item: Any, seen: int, *, what: str) -> None:
    if item.version != seen:
        raise StaleVersion(
            f"{what} was changed by someone else (you sent version {seen}, current is {item.version}); "
            "read it again and reapply your change"
        )


def apply_changes(item: Any, changes: dict[str, Any], *, nullable: set[str]) -> None:
    """Set the fields a PATCH sent; ``null`` is refused for fields that cannot be empty."""
    for field, value in changes.items():
        if value is None and field not in nullable:
            raise InvalidInput([{"loc": ["body", field], "msg": f"{field} cannot be null", "type": "null"}])
        setattr(item, field, value)


def flush(session: Session, *, what: str) -> None:
    """Flush, turning a lost optimistic-concurrency race or a unique clash into a 409."""
    try:
        session.flush()
    except StaleDataError:
        raise StaleVersion(f"{what} was changed by someone else meanwhile; read it again") from None
    except IntegrityError as exc:
        message = str(exc.orig).lower()
        if "unique" in message or "duplicate" in message:
            raise Conflict(f"{what}: a record with the same external_id already exists") from None
        if "foreign key" in message:
            raise Conflict(f"{what} is still referenced by other records") from None
        raise
