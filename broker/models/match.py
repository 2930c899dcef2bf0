"""Proposed matches between a request and an offer, and the review decisions staff take on them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broker.models.base import Base, JsonType, Tracked, utcnow
from broker.models.institution import enum_check
from broker.models.signal import MatchSignal


class MatchStatus(StrEnum):
    proposed = "proposed"
    shortlisted = "shortlisted"
    accepted = "accepted"
    rejected = "rejected"


class Match(Tracked, Base):
    """One row per (request, offer) pair the matcher proposed; recomputing updates it in place."""

    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("request_id", "offer_id", name="uq_matches_request_offer"),
        enum_check("status", MatchStatus),
    )

    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    profile: Mapped[str] = mapped_column(String(80))
    score: Mapped[float] = mapped_column(Float)
    rank: Mapped[int | None] = mapped_column(Integer)
    components: Mapped[dict[str, float]] = mapped_column(default=dict)
    contributions: Mapped[dict[str, float]] = mapped_column(default=dict)
    estimated_cost_usd: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(default=list)  # English sentences, as computed
    # The same reasons as data ({"code", "params"}: see broker.matching.Reason), so a stored list
    # renders in any locale; None on rows stored before reasons had codes (they show ``reasons``).
    reasons_detail: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonType)
    # "strong" | "possible" | "weak" when last ranked (see broker.matching.fit)
    fit: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default=MatchStatus.proposed)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    reviews: Mapped[list[MatchReview]] = relationship(
        back_populates="match", lazy="selectin", order_by="MatchReview.id"
    )
    # The institutions' signals, oldest first (written only by broker.services.signals).
    signals: Mapped[list[MatchSignal]] = relationship(
        lazy="selectin", order_by="MatchSignal.id", viewonly=True
    )


class MatchReview(Base):
    """An append-only record of one decision: never updated, never deleted with a recompute."""

    __tablename__ = "match_reviews"
    __table_args__ = (enum_check("status", MatchStatus),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    match_id: Mapped[int] = mapped_column(ForeignKey("matches.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)  # for staff only
    note_for_institutions: Mapped[str | None] = mapped_column(Text)
    reviewer_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    reviewer_name: Mapped[str] = mapped_column(String(200))
    score_at_review: Mapped[float | None] = mapped_column(Float)
    components_at_review: Mapped[dict[str, Any] | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    match: Mapped[Match] = relationship(back_populates="reviews", lazy="raise")
