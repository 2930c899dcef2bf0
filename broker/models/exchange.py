"""Exchanges: what an accepted match became (who travelled where, when, at what cost), its status
history, and each side's report on the results once it is completed."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from broker.models.base import Base, Tracked, utcnow
from broker.models.institution import enum_check


class ExchangeStatus(StrEnum):
    planned = "planned"
    under_way = "under_way"
    completed = "completed"
    cancelled = "cancelled"


# The moves an exchange may make; completed and cancelled are final.
EXCHANGE_TRANSITIONS: dict[str, frozenset[str]] = {
    ExchangeStatus.planned: frozenset({ExchangeStatus.under_way, ExchangeStatus.cancelled}),
    ExchangeStatus.under_way: frozenset({ExchangeStatus.completed, ExchangeStatus.cancelled}),
    ExchangeStatus.completed: frozenset(),
    ExchangeStatus.cancelled: frozenset(),
}


class ExchangeSide(StrEnum):
    """Which side of the exchange an institution (or its report) is on."""

    requester = "requester"  # the institution that asked for the knowledge (the receiver)
    provider = "provider"  # the institution whose offer was matched (the provider)


class Exchange(Tracked, Base):
    """One exchange between a request's institution and an offer's institution.

    At most one exchange per match: accepting the same match twice opens nothing new.
    """

    __tablename__ = "exchanges"
    __table_args__ = (
        enum_check("status", ExchangeStatus),
        UniqueConstraint("match_id", name="uq_exchanges_match_id"),
        CheckConstraint("participants IS NULL OR participants >= 0", name="participants_nonnegative"),
        CheckConstraint("budget_amount IS NULL OR budget_amount >= 0", name="budget_nonnegative"),
        CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
    )

    # RESTRICT: an exchange is a record of what happened; its match, request and offer cannot be
    # deleted from under it (they can be closed or withdrawn).
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id", ondelete="RESTRICT"))
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="RESTRICT"), index=True)
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="RESTRICT"), index=True)
    # Denormalised from the request and offer at opening, so visibility and the providers'
    # records need no join and survive a record moving institution.
    requester_institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="RESTRICT"), index=True
    )
    provider_institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=ExchangeStatus.planned)
    modalities: Mapped[list[str]] = mapped_column(default=list)  # reference modality codes, a mix allowed
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    participants: Mapped[int | None] = mapped_column(Integer)
    budget_amount: Mapped[float | None] = mapped_column(Float)
    budget_currency: Mapped[str | None] = mapped_column(String(3))  # ISO 4217
    # who pays: a fund, an agency, cost-sharing
    budget_source: Mapped[str | None] = mapped_column(String(200))
    # The funding window that finances it (its budget counts against the window's envelope).
    funding_window_id: Mapped[int | None] = mapped_column(
        ForeignKey("funding_windows.id", ondelete="RESTRICT"), index=True
    )
    # the people responsible on the receiving and on the providing side
    requester_contact: Mapped[str | None] = mapped_column(String(300))
    provider_contact: Mapped[str | None] = mapped_column(String(300))
    notes: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column()

    changes: Mapped[list[ExchangeChange]] = relationship(
        lazy="selectin", order_by="ExchangeChange.id", viewonly=True
    )
    reports: Mapped[list[ExchangeReport]] = relationship(
        lazy="selectin", order_by="ExchangeReport.id", viewonly=True
    )


class ExchangeChange(Base):
    """Append-only history of an exchange: its opening, every status move and every edit (who, when)."""

    __tablename__ = "exchange_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))  # None when the exchange was opened
    to_status: Mapped[str] = mapped_column(String(20))
    fields: Mapped[list[str]] = mapped_column(default=list)  # the fields an edit changed
    note: Mapped[str | None] = mapped_column(Text)
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ExchangeReport(Tracked, Base):
    """One side's report on a completed exchange: capacity outcomes reached, ratings, what changed."""

    __tablename__ = "exchange_reports"
    __table_args__ = (
        enum_check("side", ExchangeSide),
        UniqueConstraint("exchange_id", "side", name="uq_exchange_reports_exchange_side"),
        CheckConstraint("relevance BETWEEN 1 AND 5", name="relevance_range"),
        CheckConstraint("usefulness BETWEEN 1 AND 5", name="usefulness_range"),
    )

    exchange_id: Mapped[int] = mapped_column(ForeignKey("exchanges.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(10))
    institution_id: Mapped[int] = mapped_column(
        ForeignKey("institutions.id", ondelete="RESTRICT"), index=True
    )
    outcomes: Mapped[list[str]] = mapped_column(default=list)  # reference outcome codes reached
    relevance: Mapped[int] = mapped_column(Integer)  # 1-5
    usefulness: Mapped[int] = mapped_column(Integer)  # 1-5
    adopted: Mapped[str | None] = mapped_column(Text)  # what was adopted or changed afterwards, any language
    adopted_language: Mapped[str | None] = mapped_column(String(8))
    evidence_links: Mapped[list[str]] = mapped_column(default=list)  # http(s) URLs
    actor_name: Mapped[str] = mapped_column(String(200))
    actor_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
