"""Imports run in the background (``POST /api/v1/import?async=true``): their state, counts and report."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from broker.models.base import Base, utcnow
from broker.models.institution import enum_check


class ImportJobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class ImportJob(Base):
    """One background import. ``owner`` names the serving process that runs it, so a process that
    died with the job unfinished is recognised and the job reported as failed, not left running."""

    __tablename__ = "import_jobs"
    __table_args__ = (enum_check("status", ImportJobStatus),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=ImportJobStatus.queued.value, index=True)
    # The caller, as it was when the job was accepted (the job runs with these rights).
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(Integer)  # a person's job (no key)
    caller_name: Mapped[str] = mapped_column(String(200))
    caller_role: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(32))
    partial: Mapped[bool] = mapped_column(default=False)
    body_bytes: Mapped[int] = mapped_column(Integer, default=0)
    owner: Mapped[str] = mapped_column(String(200))
    rows_parsed: Mapped[int] = mapped_column(Integer, default=0)
    texts_to_embed: Mapped[int] = mapped_column(Integer, default=0)
    texts_embedded: Mapped[int] = mapped_column(Integer, default=0)
    rows_written: Mapped[int] = mapped_column(Integer, default=0)
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
