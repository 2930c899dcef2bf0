"""The audit log records security-relevant events, without secrets, and only admins read it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from broker.models import Match
from tests.factories import CallerFactory, make_institution, make_offer, make_request
from tests.ui.conftest import sign_in

EVEN = {"semantic": 1, "sector": 1, "region": 1, "modality": 1, "language": 1, "cost": 1}


def _events(client: TestClient, admin: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/audit-events", params={"limit": 200, **params}, headers=admin)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def test_key_profile_review_and_refusal_events_are_recorded_without_secrets(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    admin, staff = caller("admin"), caller("staff")
    created = client.post("/api/v1/keys", json={"name": "ops", "role": "broker"}, headers=admin.headers)
    new_key = created.json()["key"]
    assert client.delete(f"/api/v1/keys/{created.json()['id']}", headers=admin.headers).status_code == 200
    put = client.put("/api/v1/scoring-profiles/flat", json={"weights": EVEN}, headers=staff.headers)
    assert put.status_code == 200
    match = Match(
        request_id=make_request(session).id, offer_id=make_offer(session).id, profile="default", score=0.5
    )
    session.add(match)
    session.flush()
    review = {"status": "accepted", "note": "fits"}
    assert (
        client.post(f"/api/v1/matches/{match.id}/reviews", json=review, headers=staff.headers).status_code
        == 201
    )
    inst = caller("institution", make_institution(session, name="Other")).headers
    assert client.post(f"/api/v1/matches/{match.id}/reviews", json=review, headers=inst).status_code == 403
    assert client.get("/api/v1/keys", headers=staff.headers).status_code == 403

    events = _events(client, admin.headers)
    by_event = {(e["event"], e["subject"]): e for e in events}
    subject = f"key {created.json()['id']}"
    assert by_event["key.created", subject]["actor_key_id"] == admin.key_id
    assert by_event["key.created", subject]["detail"]["role"] == "broker"
    assert by_event["key.revoked", subject]["actor_role"] == "admin"
    assert by_event["profile.changed", "profile flat"]["actor_key_id"] == staff.key_id
    assert by_event["review.decided", f"match {match.id}"]["detail"]["status"] == "accepted"
    denied = {(e["subject"], e["actor_role"]) for e in events if e["event"] == "access.denied"}
    assert denied == {
        (f"POST /api/v1/matches/{match.id}/reviews", "institution"),
        ("GET /api/v1/keys", "staff"),
    }
    text = str(events)
    assert new_key not in text and new_key[:12] not in text
    only_denied = _events(client, admin.headers, event="access.denied")
    assert {e["event"] for e in only_denied} == {"access.denied"}


def test_only_admins_read_the_audit_log(client: TestClient, caller: CallerFactory) -> None:
    for role in ("staff", "broker"):
        assert client.get("/api/v1/audit-events", headers=caller(role).headers).status_code == 403


def test_workspace_sign_ins_and_their_failures_are_recorded(
    client: TestClient, caller: CallerFactory
) -> None:
    admin, staff = caller("admin"), caller("staff")
    assert sign_in(client, "kb_not-a-key").status_code == 401
    assert sign_in(client, staff.key).status_code == 303
    events = _events(client, admin.headers)
    signed = [e for e in events if e["event"] == "sign_in"]
    assert [(e["actor_key_id"], e["client"]) for e in signed] == [(staff.key_id, "testclient")]
    (failed,) = [e for e in events if e["event"] == "sign_in.failed"]
    assert failed["actor_key_id"] is None and "kb_not-a-key" not in str(failed)
