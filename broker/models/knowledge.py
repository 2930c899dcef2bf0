"""Offers (supply: an experience an institution can share) and requests (demand: a challenge)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broker.models.base import Base, Tracked
from broker.models.institution import Institution, enum_check
from broker.models.search import Searchable


class OfferStatus(StrEnum):
    draft = "draft"
    published = "published"
    archived = "archived"


class RequestStatus(StrEnum):
    draft = "draft"
    open = "open"
    matched = "matched"
    closed = "closed"


class KnowledgeItem(Searchable, Tracked):
    """Columns that offers and requests share."""

    __searchable__ = ("title", "description")

    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    sectors: Mapped[list[str]] = mapped_column(default=list)
    sdgs: Mapped[list[int]] = mapped_column(default=list)
    country: Mapped[str] = mapped_column(String(3), index=True)
    modalities: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), index=True)
    # The language the title and description are written in (ISO 639-1): the author's word, or
    # detected from the text when the author gave none (then ``text_language_detected``).
    text_language: Mapped[str | None] = mapped_column(String(8))
    text_language_detected: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Codes suggested from the text (sectors, SDGs, modalities, outcomes, each with a confidence),
    # kept beside the author's own codes and never mixed with them.
    suggested: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The catalog generation of this row's last write; in-memory match indexes compare it.
    change_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0", index=True)


class Offer(KnowledgeItem, Base):
    __tablename__ = "offers"
    __table_args__ = (
        enum_check("status", OfferStatus),
        CheckConstraint("cost_usd IS NULL OR cost_usd >= 0", name="cost_usd_non_negative"),
        CheckConstraint("capacity_per_year IS NULL OR capacity_per_year >= 0", name="capacity_non_negative"),
    )

    results: Mapped[str | None] = mapped_column(Text)
    cost_usd: Mapped[float | None] = mapped_column(Float)
    capacity_per_year: Mapped[int | None] = mapped_column(Integer)
    available_from: Mapped[date | None]
    available_until: Mapped[date | None]

    institution: Mapped[Institution] = relationship(lazy="raise")


class KnowledgeRequest(KnowledgeItem, Base):
    __tablename__ = "requests"
    __table_args__ = (
        enum_check("status", RequestStatus),
        CheckConstraint("budget_usd IS NULL OR budget_usd >= 0", name="budget_usd_non_negative"),
        CheckConstraint("participants IS NULL OR participants >= 1", name="participants_positive"),
    )

    desired_outcomes: Mapped[list[str]] = mapped_column(default=list)
    budget_usd: Mapped[float | None] = mapped_column(Float)
    participants: Mapped[int | None] = mapped_column(Integer)
    timeframe_start: Mapped[date | None]
    timeframe_end: Mapped[date | None]

    institution: Mapped[Institution] = relationship(lazy="raise")
