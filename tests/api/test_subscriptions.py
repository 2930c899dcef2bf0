"""Alert subscriptions through the API: validation, the secret shown once, SSRF refusal, ownership,
re-enabling and the delivery log."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.models import AuditEvent, Subscription
from tests.factories import CallerFactory, make_institution

HOOK = {"name": "desk", "events": ["match.reviewed", "exchange.status"], "url": "https://93.184.216.34/hook"}


def test_a_webhook_subscription_shows_its_secret_once(client: TestClient, caller: CallerFactory) -> None:
    staff = caller("staff").headers
    created = client.post(
        "/api/v1/subscriptions", json=HOOK | {"sector_groups": ["120"], "regions": ["Africa"]}, headers=staff
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["status"] == "active"
    assert body["regions"] == ["002"] and body["owner_role"] == "staff"
    read = client.get(f"/api/v1/subscriptions/{body['id']}", headers=staff).json()
    assert "secret" not in read
    rotated = client.post(f"/api/v1/subscriptions/{body['id']}/secret", headers=staff).json()
    assert rotated["secret"] != body["secret"]


def test_internal_webhook_targets_are_refused_and_nothing_is_stored(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    staff = caller("staff").headers
    before = session.scalars(select(Subscription)).all()
    for url in ("http://127.0.0.1:8000/x", "http://169.254.169.254/latest", "http://10.0.0.8/hook"):
        refused = client.post("/api/v1/subscriptions", json=HOOK | {"url": url}, headers=staff)
        assert refused.status_code == 422, refused.text
        assert "internal address" in refused.text
    assert session.scalars(select(Subscription)).all() == before


def test_bad_subscriptions_get_clear_errors(client: TestClient, caller: CallerFactory) -> None:
    staff = caller("staff").headers
    cases = [
        (HOOK | {"events": []}, "events"),
        (HOOK | {"events": ["match.reviewed", "match.reviewed"]}, "listed twice"),
        (HOOK | {"events": ["offer.deleted"]}, "events"),
        ({k: v for k, v in HOOK.items() if k != "url"}, "needs a url"),
        (HOOK | {"channel": "digest"}, "has no url"),
        (HOOK | {"url": "ftp://example.org/x"}, "http://"),
        (HOOK | {"sector_groups": ["999"]}, "sector group"),
        (HOOK | {"regions": ["Atlantis"]}, "region"),
        (HOOK | {"languages": ["xx"]}, "language"),
    ]
    for body, message in cases:
        response = client.post("/api/v1/subscriptions", json=body, headers=staff)
        assert response.status_code == 422, (body, response.text)
        assert message in response.text, (message, response.text)


def test_an_owner_changes_its_subscription_with_the_version_it_read(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    inst = caller("institution", make_institution(session)).headers
    created = client.post("/api/v1/subscriptions", json=HOOK, headers=inst).json()
    assert created["owner_institution_id"] is not None
    changed = client.patch(
        f"/api/v1/subscriptions/{created['id']}",
        json={"version": created["version"], "status": "disabled"},
        headers=inst,
    )
    assert changed.status_code == 200 and changed.json()["status"] == "disabled"
    stale = client.patch(
        f"/api/v1/subscriptions/{created['id']}",
        json={"version": created["version"], "name": "x"},
        headers=inst,
    )
    assert stale.status_code == 409
    again = client.patch(
        f"/api/v1/subscriptions/{created['id']}",
        json={"version": changed.json()["version"], "status": "active"},
        headers=inst,
    ).json()
    assert again["status"] == "active" and again["disabled_reason"] is None
    internal = client.patch(
        f"/api/v1/subscriptions/{created['id']}",
        json={"version": again["version"], "url": "http://localhost/x"},
        headers=inst,
    )
    assert internal.status_code == 422
    assert (
        client.get(f"/api/v1/subscriptions/{created['id']}", headers=caller("staff").headers).status_code
        == 404
    )
    assert client.delete(f"/api/v1/subscriptions/{created['id']}", headers=inst).status_code == 204
    events = session.scalars(select(AuditEvent.event).where(AuditEvent.event.like("subscription.%"))).all()
    assert set(events) >= {"subscription.created", "subscription.updated", "subscription.deleted"}


def test_the_delivery_log_is_empty_for_a_new_subscription(client: TestClient, caller: CallerFactory) -> None:
    staff = caller("staff").headers
    created = client.post("/api/v1/subscriptions", json=HOOK, headers=staff).json()
    log = client.get(f"/api/v1/subscriptions/{created['id']}/deliveries?status=failed", headers=staff)
    assert log.status_code == 200 and log.json()["total"] == 0
