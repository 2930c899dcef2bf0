"""Institutions' own word on a proposed match: "interested" or "not relevant", kept as history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from broker.models.base import Base, utcnow
from broker.models.institution import enum_check


class SignalKind(StrEnum):
    interested = "interested"
    not_relevant = "not_relevant"


class MatchSide(StrEnum):
    """Which side of the pair the signalling institution is on."""

    requester = "requester"  # the institution that posted the request
    offerer = "offerer"  # the institution that posted the offer


class MatchSignal(Base):
    """One signal, append-only: the latest per (match, institution) is the one that counts."""

    __tablename__ = "match_signals"
    __table_args__ = (
        enum_check("signal", SignalKind),
        enum_check("side", MatchSide),
        Index("ix_match_signals_match_institution", "match_id", "institution_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A signal means nothing once its pair is gone: it goes with the match.
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"))
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(10))
    signal: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    actor_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
