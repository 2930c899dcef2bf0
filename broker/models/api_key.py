"""API keys: random secrets shown once, stored as a SHA-256 hash, bound to a role."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from broker.models.base import Base, Tracked
from broker.models.institution import enum_check


class Role(StrEnum):
    admin = "admin"
    staff = "staff"
    broker = "broker"
    institution = "institution"


class ApiKey(Tracked, Base):
    __tablename__ = "api_keys"
    __table_args__ = (enum_check("role", Role),)

    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="RESTRICT"), index=True
    )
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
