"""kill -9 of a real ``broker serve`` between commit and webhook delivery loses no event, and a crash
never sends one event under two idempotency keys.

Clients review a match through the API while the server's dispatcher posts ``match.reviewed`` to a
loopback receiver that answers slowly, so that at each kill some committed events are not yet
delivered (or are mid-POST). After the last kill a restarted server drains the outbox; every
acknowledged review must then have reached the receiver, validly signed, under exactly one key.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, func, select

from broker.db import make_engine, make_session_factory
from broker.models import Delivery
from tests.events.receiver import Receiver
from tests.reliability.server import prepare_database, running_server
from tests.reliability.test_concurrency import seed_shared_rows

CLIENTS = 4
KILL_AFTER_ACKNOWLEDGED = 60  # per round
CRASHES = 2
DRAIN_TIMEOUT_S = 120
# Fast polling, short leases (a delivery claimed by the killed process is retried soon after the
# restart), quick retries; loopback allowed, as the documented setting does for internal deployments.
ALERT_ENV = {
    "BROKER_ALERTS_DISPATCH": "true",
    "BROKER_ALERTS_POLL_SECONDS": "0.2",
    "BROKER_ALERTS_LEASE_SECONDS": "3",
    "BROKER_WEBHOOK_ALLOW_PRIVATE": "true",
    "BROKER_WEBHOOK_TIMEOUT_SECONDS": "5",
    "BROKER_WEBHOOK_BACKOFF_BASE_SECONDS": "0.2",
    "BROKER_WEBHOOK_BACKOFF_CAP_SECONDS": "1",
}


@dataclass
class Reviews:
    """Review notes by what the client knows of them: acknowledged (2xx) or sent without an answer."""

    acknowledged: set[str] = field(default_factory=set)
    sent: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def reviewer(base_url: str, key: str, client_no: int, match_id: int, reviews: Reviews, tag: str) -> None:
    """Review the match until the server goes away; each note is unique, to find its event again."""
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as http:
        for n in range(10_000):  # a bound: the kill comes long before
            note = f"{tag}-c{client_no}-r{n}"
            status = ("shortlisted", "accepted", "rejected")[n % 3]
            with reviews.lock:
                reviews.sent.add(note)
            try:
                response = http.post(
                    f"/api/v1/matches/{match_id}/reviews",
                    json={"status": status, "note_for_institutions": note},
                )
            except httpx.TransportError:
                return  # the server is gone: this review's fate is unknown, so it stays "sent"
            if response.status_code >= 300:
                reviews.refused.append(f"{note}: {response.status_code} {response.text[:200]}")
                return
            with reviews.lock:
                reviews.acknowledged.add(note)


def signed(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The receiver's check, written from the README's recipe rather than with the service's code."""
    parts = dict(p.split("=", 1) for p in headers["X-Broker-Signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(parts["v1"], expected)


@pytest.mark.slow
def test_kill_9_between_commit_and_delivery_loses_no_event(
    empty_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = prepare_database(empty_database)
    engine = make_engine(empty_database)
    receiver = Receiver()
    receiver.delay_s = 0.05  # slower than the writers: events queue up in the outbox
    log_path = tmp_path / "server.log"
    reviews = Reviews()
    pending_at_kill: list[int] = []
    try:
        ids = seed_shared_rows(engine)
        secret = ""
        for crash in range(CRASHES):
            with running_server(empty_database, log_path, env=ALERT_ENV) as server:
                if crash == 0:
                    created = httpx.post(
                        f"{server.base_url}/api/v1/subscriptions",
                        json={"name": "crash desk", "events": ["match.reviewed"], "url": receiver.url},
                        headers={"Authorization": f"Bearer {key}"},
                        timeout=30,
                    )
                    assert created.status_code == 201, created.text
                    secret = created.json()["secret"]
                target = reviews.count() + KILL_AFTER_ACKNOWLEDGED
                with ThreadPoolExecutor(CLIENTS) as pool:
                    loads = [
                        pool.submit(reviewer, server.base_url, key, c, ids["match"], reviews, f"k{crash}")
                        for c in range(CLIENTS)
                    ]
                    deadline = time.monotonic() + 120
                    while reviews.count() < target and time.monotonic() < deadline:
                        time.sleep(0.005)
                    server.kill_hard()
                    for load in loads:
                        load.result(timeout=60)
                pending_at_kill.append(reviews.count() - len(set(receiver.keys())))
        assert not reviews.refused, reviews.refused[:5]
        assert reviews.count() >= CRASHES * KILL_AFTER_ACKNOWLEDGED
        assert max(pending_at_kill) > 0, "the kills came before delivery: some events were undelivered"

        receiver.delay_s = 0.0
        with running_server(empty_database, log_path, env=ALERT_ENV):
            started = time.monotonic()
            while time.monotonic() - started < DRAIN_TIMEOUT_S:
                heard = {c.json["data"]["review"]["note_for_institutions"] for c in list(receiver.calls)}
                if reviews.acknowledged <= heard and _undelivered(engine) == 0:
                    break
                time.sleep(0.2)
            drain_s = time.monotonic() - started

        calls = list(receiver.calls)
        keys_by_note: dict[str, set[str]] = defaultdict(set)
        for call in calls:
            keys_by_note[call.json["data"]["review"]["note_for_institutions"]].add(
                call.headers["Idempotency-Key"]
            )
        heard = set(keys_by_note)
        lost = reviews.acknowledged - heard
        phantoms = heard - reviews.sent
        two_keys = {note for note, keys in keys_by_note.items() if len(keys) > 1}
        distinct = len({c.headers["Idempotency-Key"] for c in calls})
        bad_signatures = [c for c in calls if not signed(secret, c.headers, c.body)]
        in_flight_committed = len(heard - reviews.acknowledged)

        backend = empty_database.split(":")[0].split("+")[0]
        with capsys.disabled():
            print(
                f"\nALERTS CRASH {backend}: {CRASHES} x kill -9 while delivering; "
                f"{reviews.count()} reviews acknowledged, {len(reviews.sent) - reviews.count()} unanswered "
                f"at the kills ({in_flight_committed} of them committed); undelivered at the kills: "
                f"{pending_at_kill}; after restart drained in {drain_s:.1f} s: {len(calls)} POSTs, "
                f"{distinct} distinct keys, {len(calls) - distinct} re-sent under the same key, "
                f"{len(lost)} lost, {len(two_keys)} events under two keys, {len(phantoms)} phantoms, "
                f"{len(bad_signatures)} bad signatures"
            )
        assert not lost, f"acknowledged reviews whose event never arrived: {sorted(lost)[:10]}"
        assert not two_keys, f"events sent under two idempotency keys: {sorted(two_keys)[:10]}"
        assert not phantoms, f"events for reviews nobody sent: {sorted(phantoms)[:10]}"
        assert not bad_signatures
        assert distinct == len(heard), "one key per event"
    finally:
        receiver.down()
        engine.dispose()


def _undelivered(engine: Engine) -> int:
    with make_session_factory(engine)() as session:
        pending = select(func.count()).select_from(Delivery).where(Delivery.status == "pending")
        return int(session.scalar(pending) or 0)
