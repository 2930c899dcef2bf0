"""The dispatcher: fans out new events and posts due webhooks, in a thread of each server process
(or in ``broker alerts deliver``). Several may run on one database: events and deliveries are taken
with leases, so each is handled by one of them at a time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from broker.config import Settings
from broker.db import begin_write
from broker.events import delivery, fanout, outbox
from broker.models import Event, EventType, Subscription, SubscriptionStatus
from broker.models.base import utcnow
from broker.ranking.engine import MatchEngine

log = logging.getLogger(__name__)
BATCH = 100


@dataclass
class Stats:
    fanned_out: int = 0
    deliveries_created: int = 0
    posted: dict[str, int] = field(default_factory=dict)  # new status -> count

    def busy(self) -> bool:
        return bool(self.fanned_out or self.posted)


class Dispatcher:
    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: Settings,
        *,
        engine: MatchEngine | None = None,
        client: httpx.Client | None = None,
    ) -> None:
        self.factory = factory
        self.settings = settings
        self.engine = engine
        self.client = client or httpx.Client(timeout=settings.webhook_timeout_seconds, follow_redirects=False)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unsubscribe: Callable[[], None] | None = None

    # One pass ------------------------------------------------------------------------------------

    def run_once(self) -> Stats:
        """Fan out every pending event, then post every due delivery, once."""
        stats = Stats()
        stats.fanned_out += self._settle_unheard()
        for event_id in self._pending_events():
            created = self._fan_out_one(event_id)
            if created is not None:
                stats.fanned_out += 1
                stats.deliveries_created += created
        with self.factory() as session:
            due = delivery.due_ids(session, now=utcnow(), limit=BATCH)
        for delivery_id in due:
            status = delivery.deliver_one(
                self.factory, delivery_id, client=self.client, settings=self.settings
            )
            if status is not None:
                stats.posted[status] = stats.posted.get(status, 0) + 1
        return stats

    def _settle_unheard(self) -> int:
        """Mark fanned out, in one statement, the pending events no active subscription predates
        (every event while nobody subscribes): no ranking, no per-event writes."""
        with self.factory() as session:
            pending = session.scalar(select(Event.id).where(Event.fanned_out_at.is_(None)).limit(1))
        if pending is None:
            return 0
        with self.factory() as session:
            begin_write(session)
            heard = (
                select(Subscription.id)
                .where(
                    Subscription.status == SubscriptionStatus.active,
                    Subscription.created_at <= Event.created_at,
                )
                .exists()
            )
            settled = session.execute(  # type: ignore[attr-defined]
                update(Event)
                .where(Event.fanned_out_at.is_(None), ~heard)
                .values(fanned_out_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount
            session.commit()
            return int(settled or 0)

    def _pending_events(self) -> list[int]:
        now = utcnow()
        stmt = (
            select(Event.id)
            .where(Event.fanned_out_at.is_(None), (Event.lease_until.is_(None)) | (Event.lease_until < now))
            .order_by(Event.id)
            .limit(BATCH)
        )
        if self.engine is None:
            stmt = stmt.where(Event.type != EventType.record_published.value)
        with self.factory() as session:
            return list(session.scalars(stmt))

    def _fan_out_one(self, event_id: int) -> int | None:
        lease = timedelta(seconds=self.settings.alerts_lease_seconds)
        with self.factory() as session:
            begin_write(session)
            now = utcnow()
            taken = session.execute(  # type: ignore[attr-defined]
                update(Event)
                .where(
                    Event.id == event_id,
                    Event.fanned_out_at.is_(None),
                    (Event.lease_until.is_(None)) | (Event.lease_until < now),
                )
                .values(lease_until=now + lease)
                .execution_options(synchronize_session=False)
            ).rowcount
            session.commit()
        if taken != 1:
            return None
        try:
            with self.factory() as session:
                event = session.get_one(Event, event_id)
                concerns = fanout.plan(
                    session, event, engine=self.engine, base_url=self.settings.public_base_url
                )
            with self.factory() as session:
                begin_write(session)
                event = session.get_one(Event, event_id)
                created = fanout.write(session, event, concerns)
                session.commit()
                return created
        except fanout.NeedsEngine:
            return None
        except Exception as exc:  # one bad event must not stop the others; it is retried after its lease
            log.exception("could not fan out event %s", event_id)
            with self.factory() as session:
                begin_write(session)
                session.execute(
                    update(Event)
                    .where(Event.id == event_id)
                    .values(fan_out_error=f"{type(exc).__name__}: {exc}"[:2000])
                )
                session.commit()
            return None

    # The thread ----------------------------------------------------------------------------------

    def start(self) -> None:
        self._unsubscribe = outbox.on_commit(self._wake.set)
        self._thread = threading.Thread(target=self._loop, name="alerts-dispatcher", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._thread is not None:
            self._thread.join(timeout)
        self.client.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                stats = self.run_once()
            except Exception:  # the database may be down for a moment; try again at the next tick
                log.exception("alerts dispatcher pass failed")
                stats = Stats()
            if not stats.busy():
                self._wake.wait(self.settings.alerts_poll_seconds)
