"""Security-relevant events, appended and never changed: who did (or was refused) what, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from broker.models.base import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # e.g. key.created, key.revoked, sign_in, sign_in.failed, access.denied, profile.changed, review.decided
    event: Mapped[str] = mapped_column(String(40), index=True)
    actor_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    client: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(200))
    # What happened, never secret material (no keys, hashes or prefixes' secrets).
    detail: Mapped[dict[str, Any] | None] = mapped_column()
