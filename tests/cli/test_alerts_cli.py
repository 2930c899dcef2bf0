"""``broker alerts deliver`` and ``broker alerts digest``, run as an operator would, against a SQLite file
and a webhook receiver on loopback."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from broker.db import make_engine, make_session_factory
from broker.events import signing
from broker.models import Delivery, Match, MatchReview, Role
from broker.schemas.subscription import SubscriptionCreate
from broker.services import subscriptions
from broker.services.principal import Principal
from tests.events.receiver import Receiver
from tests.factories import make_institution, make_offer, make_request

DESK = Principal(key_id=None, name="desk", role=Role.staff)


def alerts(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROKER_")}
    env |= {"BROKER_DATABASE_URL": url, "BROKER_ENCODER": "hashing", "BROKER_WEBHOOK_ALLOW_PRIVATE": "true"}
    return subprocess.run(
        [sys.executable, "-m", "broker", "alerts", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def upgrade(url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "broker", "db", "upgrade"],
        env={**os.environ, "BROKER_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def seed(url: str, hook_url: str) -> tuple[str, int]:
    """A webhook and a digest subscription, then a review decision after them; returns the webhook's
    secret and the digest subscription's id."""
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        hook = subscriptions.create(
            session,
            principal=DESK,
            data=SubscriptionCreate(name="hook", events=["match.reviewed"], url=hook_url),
            allow_private=True,
        )
        daily = subscriptions.create(
            session,
            principal=DESK,
            data=SubscriptionCreate(name="Daily <desk>", events=["match.reviewed"], channel="digest"),
            allow_private=False,
        )
        session.commit()
        request = make_request(session, make_institution(session, name="Kenya MoH", country="KEN"))
        offer = make_offer(session, make_institution(session, name="Brazil MoH", country="BRA"))
        match = Match(request_id=request.id, offer_id=offer.id, profile="default", score=0.8, rank=1)
        session.add(match)
        session.flush()
        session.add(
            MatchReview(
                match_id=match.id,
                status="accepted",
                note_for_institutions="Write to <both> of you",
                reviewer_name="desk",
            )
        )
        session.commit()
        secret, digest_id = hook.secret or "", daily.id
    engine.dispose()
    return secret, digest_id


def test_deliver_posts_the_pending_webhook_once_and_the_digest_renders_it(tmp_sqlite_url: str) -> None:
    receiver = Receiver()
    try:
        secret, digest_id = seed(tmp_sqlite_url, receiver.url)
        first = alerts(tmp_sqlite_url, "deliver")
        assert first.returncode == 0, first.stderr
        # Three events (the offer and the request went live too, heard by nobody), two subscribers.
        assert "events fanned out: 3; deliveries created: 2; posted: 1 delivered" in first.stdout
        again = alerts(tmp_sqlite_url, "deliver")
        assert "events fanned out: 0; deliveries created: 0; posted: none" in again.stdout
        assert len(receiver.calls) == 1
        call = receiver.calls[0]
        assert signing.verify(secret, call.headers["X-Broker-Signature"], call.body)
        assert call.json["data"]["review"]["note_for_institutions"] == "Write to <both> of you"
    finally:
        receiver.down()

    text = alerts(tmp_sqlite_url, "digest", "--subscription", str(digest_id))
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("knowledge-broker digest: Daily <desk>\n")
    assert "Review decisions (1)" in text.stdout and "Note: Write to <both> of you" in text.stdout
    html = alerts(tmp_sqlite_url, "digest", "--format", "html")
    assert html.returncode == 0, html.stderr
    assert "<h2>Review decisions (1)</h2>" in html.stdout
    assert (
        "Daily &lt;desk&gt;" in html.stdout and "&lt;both&gt;" in html.stdout and "<both>" not in html.stdout
    )
    # Only the digest subscription is rendered by default, and an empty period says so.
    assert "hook" not in html.stdout
    quiet = alerts(tmp_sqlite_url, "digest", "--subscription", str(digest_id), "--hours", "0.1")
    assert "Review decisions" in quiet.stdout  # the review is seconds old

    engine = make_engine(tmp_sqlite_url)
    with make_session_factory(engine)() as session:
        statuses = sorted(d.status for d in session.scalars(select(Delivery)))
    engine.dispose()
    assert statuses == ["delivered", "digest"]


def test_digest_refuses_an_unknown_subscription_and_format(tmp_sqlite_url: str) -> None:
    upgrade(tmp_sqlite_url)
    missing = alerts(tmp_sqlite_url, "digest", "--subscription", "999")
    assert missing.returncode == 1 and "no subscription 999" in missing.stderr
    bad = alerts(tmp_sqlite_url, "digest", "--format", "pdf")
    assert bad.returncode == 2 and "text or html" in bad.stderr
