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
