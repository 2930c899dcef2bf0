"""Funding windows: what a funder (a multilateral, government or private institution) finances.

A window names the sectors, the receiving and providing countries, regions and income levels and
the modalities it covers (an empty list covers any), how much it gives an exchange and in all, when
it is open and what share of a pair's cost the partners must cover themselves. Exchanges name the
window that finances them (``Exchange.funding_window_id``); what is committed is summed from them.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from broker.models.base import Base, Tracked
from broker.models.institution import InstitutionKind, enum_check


class FundingWindowStatus(StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"


# The kinds of institution that fund exchanges (and so may publish windows).
FUNDER_KINDS = (InstitutionKind.multilateral, InstitutionKind.government, InstitutionKind.private)


class FundingWindow(Tracked, Base):
    __tablename__ = "funding_windows"
    __table_args__ = (
        enum_check("status", FundingWindowStatus),
        CheckConstraint("max_per_exchange_usd > 0", name="max_per_exchange_positive"),
        CheckConstraint("envelope_usd >= max_per_exchange_usd", name="envelope_covers_one_exchange"),
        CheckConstraint("cofinancing_share >= 0 AND cofinancing_share < 1", name="cofinancing_share_range"),
        CheckConstraint("closes_on >= opens_on", name="dates_ordered"),
    )

    # RESTRICT: a funder with windows is not deleted from under them (close the windows instead).
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="RESTRICT"), index=True
    )
    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    mandate: Mapped[str] = mapped_column(Text)  # any language; embedded like offers' and requests' texts
    # The mandate's language (ISO 639-1): the author's word, or detected from the mandate when the
    # author gave none (then ``text_language_detected``), as for offers and requests.
    text_language: Mapped[str | None] = mapped_column(String(8))
    text_language_detected: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sectors: Mapped[list[str]] = mapped_column(default=list)  # DAC 3-digit groups or 5-digit purpose codes
    receiving_countries: Mapped[list[str]] = mapped_column(default=list)  # ISO 3166-1 alpha-3
    receiving_regions: Mapped[list[str]] = mapped_column(default=list)  # M49 codes
    receiving_income_levels: Mapped[list[str]] = mapped_column(default=list)  # reference INCOME_LEVELS
    providing_countries: Mapped[list[str]] = mapped_column(default=list)
    providing_regions: Mapped[list[str]] = mapped_column(default=list)
    providing_income_levels: Mapped[list[str]] = mapped_column(default=list)
    modalities: Mapped[list[str]] = mapped_column(default=list)
    max_per_exchange_usd: Mapped[float] = mapped_column(Float)
    envelope_usd: Mapped[float] = mapped_column(Float)
    # The share of a pair's cost the partners cover themselves, in [0, 1).
    cofinancing_share: Mapped[float] = mapped_column(Float, default=0.0)
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default=FundingWindowStatus.draft, index=True)
