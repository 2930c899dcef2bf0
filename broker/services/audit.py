"""The audit log: security-relevant events in the database, readable by admins."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.models import AuditEvent, Role
from broker.repositories.common import fetch_page
from broker.services.principal import Principal

log = logging.getLogger(__name__)


def record(
    session: Session,
    *,
    event: str,
    principal: Principal | None,
    subject: str | None = None,
    client: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append an event to the caller's transaction: it is kept exactly when the action is."""
    session.add(
        AuditEvent(
            event=event,
            actor_key_id=principal.key_id if principal and principal.key_id else None,
            actor_name=principal.name if principal else None,
            actor_role=principal.role.value if principal else None,
            client=client[:64] if client else None,
            subject=subject[:200] if subject else None,
            detail=detail,
        )
    )


def record_denied(
    session: Session, *, principal: Principal | None, what: str, client: str | None, reason: Any
) -> None:
    """A refused (403) request, recorded after its own work was rolled back; never fails the answer."""
    try:
        with session.begin_nested():
            record(
                session,
                event="access.denied",
                principal=principal,
                subject=what,
                client=client,
                detail={"reason": str(reason)[:500]},
            )
        session.commit()
    except Exception as exc:  # a busy database costs the record, not the refusal
        session.rollback()
        log.warning("could not record a refused request: %s", type(exc).__name__)


def list_events(
    session: Session, *, principal: Principal, event: str | None, limit: int, offset: int
) -> tuple[list[AuditEvent], int]:
    principal.require(Role.admin)
    stmt = select(AuditEvent).order_by(AuditEvent.id.desc())
    if event:
        stmt = stmt.where(AuditEvent.event == event)
    return fetch_page(session, stmt, limit=limit, offset=offset)
