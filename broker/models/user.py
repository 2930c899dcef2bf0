"""People's accounts (signed in with a password, a second factor or single sign-on) and their
one-time links (invitation, password reset)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from broker.models.api_key import Role
from broker.models.base import Base, Tracked, utcnow
from broker.models.institution import enum_check


class User(Tracked, Base):
    """A person. ``email`` is stored case-folded, so it is unique whatever case it was typed in."""

    __tablename__ = "users"
    __table_args__ = (
        enum_check("role", Role),
        CheckConstraint(
            "(role = 'institution' AND institution_id IS NOT NULL)"
            " OR (role != 'institution' AND institution_id IS NULL AND NOT is_institution_admin)",
            name="institution_matches_role",
        ),
    )

    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="RESTRICT"), index=True
    )
    is_institution_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Argon2id (argon2-cffi's PHC string); None until the invitation is accepted.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Base32 TOTP secret. Pending until ``totp_enabled_at`` is set by a confirmed code.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    # The last accepted time step, so one code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    # SHA-256 of the unused recovery codes (each opens the second factor once).
    recovery_code_hashes: Mapped[list[str]] = mapped_column(default=list)
    disabled_at: Mapped[datetime | None]
    invited_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    invited_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    last_sign_in_at: Mapped[datetime | None]

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None


class TokenPurpose(StrEnum):
    invite = "invite"
    reset = "reset"
    # Between a right password and the second factor: the next step of one sign-in.
    second_factor = "second_factor"


class UserToken(Base):
    """A one-time link's token: only its SHA-256 is stored; it is used at most once and expires."""

    __tablename__ = "user_tokens"
    __table_args__ = (enum_check("purpose", TokenPurpose),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
