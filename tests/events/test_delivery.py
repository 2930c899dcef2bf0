"""Webhooks to a real receiver on loopback: each event once, signed; retried after an outage with the
same idempotency key; given up and disabled after repeated failure; internal targets refused."""

from __future__ import annotations

import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.config import Settings
from broker.events import delivery as delivery_module
from broker.events import signing
from broker.events.dispatcher import Dispatcher
from broker.models import Delivery, DeliveryAttempt, KnowledgeRequest, Match, Role, Subscription
from broker.models.base import utcnow
from broker.schemas.subscription import SubscriptionCreate, SubscriptionUpdate
from broker.services import subscriptions
from tests.events.receiver import Receiver
from tests.factories import CallerFactory, make_institution, make_offer, make_request

STAFF = Principal(key_id=None, name="desk", role=Role.staff, user_id=None)


def subscribe(
    session: Session, url: str | None, *, principal: Principal = STAFF, **fields: object
) -> tuple[int, str]:
    data = SubscriptionCreate.model_validate(
        {"name": "test", "events": ["match.new", "match.reviewed", "exchange.status"], "url": url} | fields
    )
    created = subscriptions.create(session, principal=principal, data=data, allow_private=True)
    session.flush()
    return created.id, created.secret or ""


def pair(session: Session, *, sectors: tuple[str, ...] = ("12220",)) -> Match:
    request = make_request(
        session, make_institution(session, name="Kenya MoH", country="KEN"), sectors=list(sectors)
    )
    offer = make_offer(
        session, make_institution(session, name="Brazil MoH", country="BRA"), sectors=list(sectors)
    )
    match = Match(request_id=request.id, offer_id=offer.id, profile="default", score=0.8, rank=1)
    session.add(match)
    session.flush()
    return match


def review(client: TestClient, headers: dict[str, str], match_id: int, **body: object) -> None:
    response = client.post(
        f"/api/v1/matches/{match_id}/reviews", json={"status": "accepted"} | body, headers=headers
    )
    assert response.status_code == 201, response.text


def test_each_event_reaches_the_receiver_once_with_a_valid_signature(
    client: TestClient, session: Session, caller: CallerFactory, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    sub_id, secret = subscribe(session, receiver.url)
    match = pair(session)
    staff = caller("staff").headers
    review(client, staff, match.id, note="internal", note_for_institutions="Accepted")
    client.post(f"/api/v1/matches/{match.id}/exchange", json={}, headers=staff)
    stats = dispatcher.run_once()
    assert stats.posted == {"delivered": 2}
    assert dispatcher.run_once().posted == {}  # nothing twice
    types = [c.json["type"] for c in receiver.calls]
    assert types == ["match.reviewed", "exchange.status"]
    for call in receiver.calls:
        assert signing.verify(secret, call.headers["X-Broker-Signature"], call.body)
        assert call.headers["Idempotency-Key"] == call.json["id"] == call.headers["X-Broker-Delivery"]
        assert call.json["subscription_id"] == sub_id
    reviewed = receiver.calls[0].json["data"]
    assert reviewed["review"]["note_for_institutions"] == "Accepted"
    assert "internal" not in receiver.calls[0].body.decode()  # the staff note is never sent
    assert (
        reviewed["request"]["institution"] == "Kenya MoH" and reviewed["offer"]["institution"] == "Brazil MoH"
    )
    assert len(set(receiver.keys())) == 2


def test_a_receiver_that_was_down_gets_the_event_later_with_the_same_key(
    client: TestClient, session: Session, caller: CallerFactory, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    sub_id, secret = subscribe(session, receiver.url, events=["match.reviewed"])
    match = pair(session)
    review(client, caller("staff").headers, match.id)
    receiver.down()
    assert dispatcher.run_once().posted == {"pending": 1}  # refused connection: retry scheduled
    dispatcher.run_once()  # still down (the backoff is tiny here)
    receiver.up()
    time.sleep(0.01)
    deadline = time.monotonic() + 5
    while not receiver.calls and time.monotonic() < deadline:
        dispatcher.run_once()
    (call,) = receiver.calls
    assert signing.verify(secret, call.headers["X-Broker-Signature"], call.body)
    session.expire_all()
    delivery = session.scalars(select(Delivery).where(Delivery.subscription_id == sub_id)).one()
    assert delivery.status == "delivered" and delivery.key == call.headers["Idempotency-Key"]
    log = session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery.id).order_by(DeliveryAttempt.id)
    ).all()
    assert log[0].status_code is None and "ConnectError" in (log[0].error or "")
    assert log[-1].status_code == 200
    assert int(call.headers["X-Broker-Attempt"]) == len(log) >= 2


def test_errors_are_retried_then_given_up_and_the_subscription_disabled(
    client: TestClient,
    session: Session,
    caller: CallerFactory,
    receiver: Receiver,
    alert_settings: Settings,
    dispatcher: Dispatcher,
) -> None:
    dispatcher.settings = alert_settings.model_copy(
        update={"webhook_max_attempts": 3, "webhook_disable_after_failures": 5}
    )
    sub_id, _ = subscribe(session, receiver.url, events=["match.reviewed"])
    staff = caller("staff").headers
    first, second = pair(session), pair(session)
    receiver.answers.extend([500] * 10)
    review(client, staff, first.id)
    for _ in range(5):
        dispatcher.run_once()
        time.sleep(0.005)
    session.expire_all()
    gave_up = session.scalars(select(Delivery).where(Delivery.subscription_id == sub_id)).one()
    assert (gave_up.status, gave_up.attempts, gave_up.last_status_code) == ("failed", 3, 500)
    review(client, staff, second.id)
    for _ in range(5):
        dispatcher.run_once()
        time.sleep(0.005)
    session.expire_all()
    sub = session.get_one(Subscription, sub_id)
    assert sub.status == "disabled" and "5 failed deliveries in a row" in (sub.disabled_reason or "")
    pending = session.scalars(select(Delivery).where(Delivery.status == "pending")).one()
    assert pending.attempts == 2  # 3 + 2 failures in a row: disabled before its third attempt
    assert receiver.calls == []
    # Its owner fixes the receiver and enables it again: the pending delivery goes out.
    subscriptions.update(
        session,
        principal=STAFF,
        subscription_id=sub_id,
        data=SubscriptionUpdate(version=sub.version, status="active"),
        allow_private=True,
    )
    session.flush()
    receiver.answers.clear()
    time.sleep(0.005)
    dispatcher.run_once()
    assert [c.json["data"]["match"]["id"] for c in receiver.calls] == [second.id]


def test_a_crash_after_the_post_resends_under_the_same_key(
    client: TestClient, session: Session, caller: CallerFactory, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    subscribe(session, receiver.url, events=["match.reviewed"])
    review(client, caller("staff").headers, pair(session).id)
    for event_id in dispatcher._pending_events():  # fan out, but post by hand below
        dispatcher._fan_out_one(event_id)
    due = session.scalars(select(Delivery.id).where(Delivery.status == "pending")).one()
    with dispatcher.factory() as s:
        claimed = delivery_module.claim(s, due, lease_s=60)
        s.commit()
    assert claimed is not None
    delivery_module.post(claimed, client=dispatcher.client, allow_private=True)  # ...then the worker dies
    assert dispatcher.run_once().posted == {}  # the lease still holds it
    session.execute(
        update(Delivery).where(Delivery.id == due).values(lease_until=utcnow() - timedelta(seconds=1))
    )
    session.flush()
    assert dispatcher.run_once().posted == {"delivered": 1}
    keys = receiver.keys()
    assert len(keys) == 2 and keys[0] == keys[1]  # twice, but under one idempotency key


def test_an_internal_target_is_refused_at_delivery_unless_allowed(
    client: TestClient,
    session: Session,
    caller: CallerFactory,
    receiver: Receiver,
    alert_settings: Settings,
    dispatcher: Dispatcher,
) -> None:
    dispatcher.settings = alert_settings.model_copy(update={"webhook_allow_private": False})
    subscribe(session, receiver.url, events=["match.reviewed"])
    review(client, caller("staff").headers, pair(session).id)
    assert dispatcher.run_once().posted == {"pending": 1}
    assert receiver.calls == []
    attempt = session.scalars(select(DeliveryAttempt)).one()
    assert "internal address" in (attempt.error or "") and attempt.status_code is None


def test_an_institution_hears_only_of_its_own_matches_and_a_filter_narrows_staff(
    client: TestClient, session: Session, caller: CallerFactory, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    health, education = pair(session), pair(session, sectors=("11220",))
    kenya = session.get_one(KnowledgeRequest, health.request_id).institution_id
    as_kenya = Principal(key_id=None, name="Kenya", role=Role.institution, institution_id=kenya)
    own, _ = subscribe(session, receiver.url, principal=as_kenya, events=["match.reviewed"])
    health_desk, _ = subscribe(session, receiver.url, events=["match.reviewed"], sector_groups=["120"])
    staff = caller("staff").headers
    review(client, staff, health.id)
    review(client, staff, education.id)
    dispatcher.run_once()
    heard = sorted((c.json["subscription_id"], c.json["data"]["match"]["id"]) for c in receiver.calls)
    assert heard == sorted([(own, health.id), (health_desk, health.id)])


def test_a_new_offer_that_fits_strongly_alerts_the_requesting_institution(
    session: Session, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    text = {
        "title": "Conditional cash transfers for poor rural families",
        "description": "Conditional cash transfers for poor rural families tied to school attendance.",
        "sectors": ["16010"],
        "modalities": ["study_tour"],
        "languages": ["en"],
    }
    asker = make_institution(session, name="Philippines DSWD", country="PHL", languages=["en"])
    request = make_request(session, asker, **text)
    as_asker = Principal(key_id=None, name="DSWD", role=Role.institution, institution_id=asker.id)
    own, _ = subscribe(session, receiver.url, principal=as_asker, events=["match.new"])
    dispatcher.run_once()  # the request's own event: no offer yet
    offer = make_offer(
        session,
        make_institution(session, name="Mexico Bienestar", country="MEX", languages=["es", "en"]),
        **text,
    )
    session.flush()
    dispatcher.run_once()
    (call,) = receiver.calls
    body = call.json
    assert body["type"] == "match.new" and body["subscription_id"] == own
    assert body["data"]["new"]["id"] == offer.id
    assert [m["record"]["id"] for m in body["data"]["matches"]] == [request.id]
    assert body["data"]["matches"][0]["fit"] == "strong"
