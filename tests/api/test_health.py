"""Liveness stays trivial; readiness says whether the database, the model and the index are ready."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from broker.config import Settings
from broker.main import create_app


def test_health_needs_nothing_but_the_process(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/missing/dir/x.db", encoder="hashing"))
    with TestClient(app) as client:
        assert client.get("/health").json() == {"status": "ok"}


def test_ready_reports_database_model_and_index(client: TestClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "model", "index"}
    assert body["checks"]["index"].startswith("ok: ")


def test_ready_is_503_when_the_database_cannot_be_reached(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/missing/dir/x.db", encoder="hashing"))
    with TestClient(app) as client:
        response = client.get("/ready")
    assert response.status_code == 503
    assert response.json()["status"] == "not_ready"
    assert response.json()["checks"]["database"].startswith("unavailable")
