"""Signed-in sessions of the web pages (/ui): a cookie names one; an API key or a person's account
stands behind it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from broker.models.base import Base, utcnow


class UiSession(Base):
    """One sign-in. Only the SHA-256 of the cookie's token is stored, so a copy of the table opens nothing."""

    __tablename__ = "ui_sessions"
    __table_args__ = (CheckConstraint("(api_key_id IS NULL) != (user_id IS NULL)", name="one_holder"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Sent back in a hidden field of every form the session posts; useless without the cookie.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
