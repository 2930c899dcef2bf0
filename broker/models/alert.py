"""Alerts: the outbox of events, the subscriptions people and machines hold, and each delivery.

An ``Event`` row is written in the same transaction as the change that causes it (a flush hook in
``broker.events.outbox``), so an acknowledged change always has its event. A dispatcher then turns
each event into one ``Delivery`` per subscription it concerns (its key is the idempotency key a
receiver sees, the same on every retry) and posts webhooks, logging every ``DeliveryAttempt``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from broker.models.base import Base, JsonType, Tracked, utcnow
from broker.models.institution import enum_check


class EventType(StrEnum):
    """What happened. ``record.published`` is the raw event; ``match.new`` is what subscribers get
    for it (the new record ranks above "possible" for one of the records they watch)."""

    record_published = "record.published"
    match_new = "match.new"
    match_reviewed = "match.reviewed"
    exchange_status = "exchange.status"


# The event types a subscription can ask for.
SUBSCRIBABLE = (EventType.match_new, EventType.match_reviewed, EventType.exchange_status)


class Channel(StrEnum):
    webhook = "webhook"  # POSTed to the subscription's URL as signed JSON
    digest = "digest"  # kept for the daily digest (``broker alerts digest``)


class SubscriptionStatus(StrEnum):
    active = "active"
    disabled = "disabled"  # by its owner, or after repeated failed deliveries


class DeliveryStatus(StrEnum):
    pending = "pending"  # a webhook still to post (or to retry at ``next_attempt_at``)
    delivered = "delivered"  # the receiver answered 2xx
    failed = "failed"  # gave up after the last allowed attempt
    digest = "digest"  # for a digest subscription: waits for the digest, nothing is posted


class Event(Base):
    """One event in the outbox: written with its cause, fanned out to deliveries afterwards."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_pending", "fanned_out_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(80))  # e.g. "match 12", "exchange 3", "offer 40"
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    fanned_out_at: Mapped[datetime | None] = mapped_column()
    # A dispatcher holds an event it is fanning out until then (another worker may take it after).
    lease_until: Mapped[datetime | None] = mapped_column()
    fan_out_error: Mapped[str | None] = mapped_column(Text)


class Subscription(Tracked, Base):
    """Who wants which events, for which records, delivered how.

    An institution's subscription watches its own records; a staff, admin or broker subscription
    watches the records its filter selects (every record when the filter is empty). The filter
    (sector groups, M49 regions, languages) narrows the watched records in both cases.
    """

    __tablename__ = "subscriptions"
    __table_args__ = (enum_check("channel", Channel), enum_check("status", SubscriptionStatus))

    name: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column()  # EventType values from SUBSCRIBABLE
    channel: Mapped[str] = mapped_column(String(10))
    url: Mapped[str | None] = mapped_column(String(2000))
    # The HMAC key of its signatures: shown once at creation, kept to sign (never returned again).
    secret: Mapped[str | None] = mapped_column(String(100))
    sector_groups: Mapped[list[str]] = mapped_column(default=list)
    regions: Mapped[list[str]] = mapped_column(default=list)
    languages: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(10), default=SubscriptionStatus.active)
    disabled_reason: Mapped[str | None] = mapped_column(String(300))
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # The subscriber: its role and institution decide what it may be told.
    owner_role: Mapped[str] = mapped_column(String(20))
    owner_institution_id: Mapped[int | None] = mapped_column(
        ForeignKey("institutions.id", ondelete="CASCADE"), index=True
    )
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    owner_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="CASCADE"), index=True
    )
    owner_name: Mapped[str] = mapped_column(String(200))


class Delivery(Base):
    """One event for one subscription: its body, its idempotency key, where its delivery stands."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id", name="uq_deliveries_event_subscription"),
        enum_check("status", DeliveryStatus),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)  # the idempotency key, on every retry
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(40))
    body: Mapped[dict[str, Any]] = mapped_column(JsonType)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    lease_until: Mapped[datetime | None] = mapped_column()
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()


class DeliveryAttempt(Base):
    """The delivery log: every POST of a webhook, its status code or error, and how long it took."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[float] = mapped_column()
