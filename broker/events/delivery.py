"""One webhook delivery: claim it, POST it signed, log the attempt, schedule a retry or give up.

A delivery is claimed with a lease (a conditional UPDATE, so two workers never post it at the same
time), posted with no transaction open, and its outcome written in a second transaction. A crash
between the POST and that write leaves the lease to expire and the delivery is posted again with
the same idempotency key (``Idempotency-Key`` and ``X-Broker-Delivery`` headers, the body's ``id``):
at least once, never twice under different keys.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from broker.config import Settings
from broker.db import begin_write
from broker.events import backoff, signing, ssrf
from broker.models import Delivery, DeliveryAttempt, DeliveryStatus, Subscription, SubscriptionStatus
from broker.models.base import utcnow

log = logging.getLogger(__name__)
USER_AGENT = "knowledge-broker-webhooks/1"


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    type: str
    body: bytes
    attempt: int  # this attempt's number, from 1
    url: str
    secret: str
    subscription_id: int


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str | None
    duration_ms: float

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def encode_body(body: dict[str, object]) -> bytes:
    """The exact bytes that are posted and signed."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def due_ids(session: Session, *, now: datetime, limit: int) -> list[int]:
    stmt = (
        select(Delivery.id)
        .join(Subscription, Subscription.id == Delivery.subscription_id)
        .where(
            Delivery.status == DeliveryStatus.pending,
            Delivery.next_attempt_at <= now,
            (Delivery.lease_until.is_(None)) | (Delivery.lease_until < now),
            Subscription.status == SubscriptionStatus.active,
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def claim(session: Session, delivery_id: int, *, lease_s: float) -> Claimed | None:
    """Take the delivery for ``lease_s`` seconds if it is still due and nobody holds it."""
    now = utcnow()
    taken = session.execute(  # type: ignore[attr-defined]
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            Delivery.status == DeliveryStatus.pending,
            (Delivery.lease_until.is_(None)) | (Delivery.lease_until < now),
        )
        .values(lease_until=now + timedelta(seconds=lease_s))
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        return None
    delivery = session.get_one(Delivery, delivery_id, populate_existing=True)
    sub = session.get_one(Subscription, delivery.subscription_id)
    if sub.status != SubscriptionStatus.active or not sub.url or not sub.secret:
        return None
    return Claimed(
        id=delivery.id,
        key=delivery.key,
        type=delivery.type,
        body=encode_body(delivery.body),
        attempt=delivery.attempts + 1,
        url=sub.url,
        secret=sub.secret,
        subscription_id=sub.id,
    )


def post(claimed: Claimed, *, client: httpx.Client, allow_private: bool) -> Outcome:
    """POST the delivery to the address its URL was checked to resolve to; never raises."""
    started = time.perf_counter()
    try:
        target = ssrf.resolve(claimed.url, allow_private=allow_private)
    except ssrf.UnsafeTarget as exc:
        return Outcome(None, str(exc)[:500], (time.perf_counter() - started) * 1000)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Host": _host_header(target),
        "Idempotency-Key": claimed.key,
        "X-Broker-Delivery": claimed.key,
        "X-Broker-Event": claimed.type,
        "X-Broker-Attempt": str(claimed.attempt),
        "X-Broker-Timestamp": str(timestamp),
        signing.HEADER: signing.signature_header(claimed.secret, timestamp, claimed.body),
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        response = client.post(
            _pinned_url(target), content=claimed.body, headers=headers, extensions=extensions
        )
        outcome = Outcome(response.status_code, None, (time.perf_counter() - started) * 1000)
    except httpx.HTTPError as exc:
        outcome = Outcome(None, f"{type(exc).__name__}: {exc}"[:500], (time.perf_counter() - started) * 1000)
    return outcome


def record(session: Session, claimed: Claimed, outcome: Outcome, *, settings: Settings) -> str:
    """Log the attempt and move the delivery on; returns its new status."""
    now = utcnow()
    session.add(
        DeliveryAttempt(
            delivery_id=claimed.id,
            attempted_at=now,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=round(outcome.duration_ms, 2),
        )
    )
    values: dict[str, object] = {
        "attempts": claimed.attempt,
        "lease_until": None,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
    }
    if outcome.ok:
        values |= {"status": DeliveryStatus.delivered.value, "delivered_at": now}
        status = DeliveryStatus.delivered.value
    elif claimed.attempt >= settings.webhook_max_attempts:
        values |= {"status": DeliveryStatus.failed.value}
        status = DeliveryStatus.failed.value
    else:
        delay = backoff.retry_delay_s(
            claimed.attempt,
            base_s=settings.webhook_backoff_base_seconds,
            cap_s=settings.webhook_backoff_cap_seconds,
        )
        values |= {"next_attempt_at": now + timedelta(seconds=delay)}
        status = DeliveryStatus.pending.value
    session.execute(update(Delivery).where(Delivery.id == claimed.id).values(**values))
    _count_failure(session, claimed.subscription_id, ok=outcome.ok, settings=settings)
    session.flush()
    return status


def _count_failure(session: Session, subscription_id: int, *, ok: bool, settings: Settings) -> None:
    """Failures in a row, across the subscription's deliveries; too many disable it."""
    if ok:
        session.execute(
            update(Subscription)
            .where(Subscription.id == subscription_id)
            .values(consecutive_failures=0)
            .execution_options(synchronize_session=False)
        )
        return
    session.execute(
        update(Subscription)
        .where(Subscription.id == subscription_id)
        .values(consecutive_failures=Subscription.consecutive_failures + 1)
        .execution_options(synchronize_session=False)
    )
    sub = session.get_one(Subscription, subscription_id, populate_existing=True)
    if (
        sub.status == SubscriptionStatus.active
        and sub.consecutive_failures >= settings.webhook_disable_after_failures
    ):
        sub.status = SubscriptionStatus.disabled.value
        sub.disabled_reason = f"disabled after {sub.consecutive_failures} failed deliveries in a row"
        log.warning("subscription %s %s", sub.id, sub.disabled_reason)


def deliver_one(
    factory: sessionmaker[Session], delivery_id: int, *, client: httpx.Client, settings: Settings
) -> str | None:
    """Claim, post and record one delivery; None if another worker had it or it is no longer due."""
    with factory() as session:
        begin_write(session)
        claimed = claim(session, delivery_id, lease_s=settings.alerts_lease_seconds)
        session.commit()
    if claimed is None:
        return None
    outcome = post(claimed, client=client, allow_private=settings.webhook_allow_private)
    with factory() as session:
        begin_write(session)
        status = record(session, claimed, outcome, settings=settings)
        session.commit()
    return status


def _pinned_url(target: ssrf.Target) -> str:
    host = f"[{target.address}]" if ":" in target.address else target.address
    parts = urlsplit(target.url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{target.scheme}://{host}:{target.port}{parts.path or '/'}{query}"


def _host_header(target: ssrf.Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"
