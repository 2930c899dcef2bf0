"""API keys over HTTP: input that cannot be a valid expiry, and the last admin key."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.models import ApiKey
from tests.factories import CallerFactory


def test_an_expiry_that_overflows_in_utc_is_a_422_and_issues_nothing(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    admin = caller("admin").headers
    before = session.scalar(select(func.count()).select_from(ApiKey))
    body = {"name": "far", "role": "staff", "expires_at": "9999-12-31T23:00:00-14:00"}
    response = client.post("/api/v1/keys", json=body, headers=admin)
    assert response.status_code == 422, response.text
    (entry,) = response.json()["detail"]
    assert entry["loc"] == ["body", "expires_at"] and "out of range" in entry["msg"]
    assert session.scalar(select(func.count()).select_from(ApiKey)) == before


def test_the_last_usable_admin_key_cannot_be_revoked(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    for row in session.scalars(select(ApiKey).where(ApiKey.role == "admin")):  # start from one admin
        session.delete(row)
    session.flush()
    admin = caller("admin")
    refused = client.delete(f"/api/v1/keys/{admin.key_id}", headers=admin.headers)
    assert refused.status_code == 409 and "last usable admin key" in refused.json()["detail"]
    assert client.get("/api/v1/me", headers=admin.headers).status_code == 200
    second = client.post("/api/v1/keys", json={"name": "backup", "role": "admin"}, headers=admin.headers)
    assert client.delete(f"/api/v1/keys/{admin.key_id}", headers=admin.headers).status_code == 200
    backup = {"Authorization": f"Bearer {second.json()['key']}"}
    last = client.delete(f"/api/v1/keys/{second.json()['id']}", headers=backup)
    assert last.status_code == 409
