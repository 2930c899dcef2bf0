"""One error shape everywhere; oversized and malformed bodies are clean 4xx."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import CallerFactory


def test_body_over_one_mib_is_413(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("broker").headers | {"Content-Type": "application/json"}
    response = client.post("/api/v1/institutions", content=b"x" * (1024 * 1024 + 1), headers=headers)
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"


def test_chunked_body_over_limit_is_413(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("broker").headers | {"Content-Type": "application/json"}

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b" " * 65536

    response = client.post("/api/v1/institutions", content=chunks(), headers=headers)
    assert response.status_code == 413


def test_malformed_json_is_422_with_error_shape(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("broker").headers | {"Content-Type": "application/json"}
    response = client.post("/api/v1/institutions", content=b'{"name": ', headers=headers)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"


def test_unknown_route_is_404_with_error_shape(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_missing_key_is_401_with_bearer_challenge(client: TestClient) -> None:
    response = client.get("/api/v1/offers")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
