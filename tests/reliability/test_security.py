"""Secrets and surface: hashed keys that never reach a log, revocation and expiry, throttled guessing,
security headers, closed CORS, and request ids on every log line."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.api.deps import get_session
from broker.api.logs import JsonFormatter, RequestIdFilter
from broker.api.security import SlidingWindowLimiter
from broker.config import Settings
from broker.main import create_app
from broker.models import ApiKey
from broker.services import keys
from tests.factories import CallerFactory

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(app_settings: Settings, session: Session) -> Iterator[ClientFactory]:
    """``make_client(client=("10.0.0.1", 1), auth_failure_limit=3)``: an app with its own settings."""
    opened: list[TestClient] = []

    def build(client: tuple[str, int] = ("10.0.0.1", 40000), **overrides: Any) -> TestClient:
        app = create_app(app_settings.model_copy(update=overrides))
        _share_session(app, session)
        test_client = TestClient(app, client=client, raise_server_exceptions=False)
        test_client.__enter__()
        opened.append(test_client)
        return test_client

    yield build
    for test_client in opened:
        test_client.__exit__(None, None, None)


def _share_session(app: FastAPI, session: Session) -> None:
    def _session() -> Iterator[Session]:
        scope = session.begin_nested()
        try:
            yield session
            scope.commit()
        except BaseException:
            scope.rollback()
            raise

    app.dependency_overrides[get_session] = _session


@contextmanager
def json_log_lines() -> Iterator[list[str]]:
    """Capture the ``broker`` loggers as ``broker serve`` writes them: JSON lines with request ids."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    root, broker_log = logging.getLogger(), logging.getLogger("broker")
    levels = (root.level, broker_log.level)
    root.setLevel(logging.DEBUG)  # every logger, SQLAlchemy's included, may speak
    broker_log.setLevel(logging.DEBUG)
    root.addHandler(handler)
    lines: list[str] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        broker_log.setLevel(levels[1])
        lines.extend(buffer.getvalue().splitlines())


# --- keys: stored hashed, never logged, revocable, expiring, compared in constant time ---------------


def test_issued_key_is_stored_only_as_its_hash(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    response = client.post(
        "/api/v1/keys", json={"name": "ops", "role": "staff"}, headers=caller("admin").headers
    )
    assert response.status_code == 201
    key = response.json()["key"]
    row = session.scalar(select(ApiKey).where(ApiKey.id == response.json()["id"]))
    assert row is not None
    stored = [str(getattr(row, column.key)) for column in ApiKey.__table__.columns]
    assert not any(key in value for value in stored)
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    listed = client.get("/api/v1/keys", headers=caller("admin").headers).text
    assert key not in listed and row.key_hash not in listed


def test_keys_never_reach_any_log(client: TestClient, caller: CallerFactory) -> None:
    admin = caller("admin")
    with json_log_lines() as lines:
        created = client.post("/api/v1/keys", json={"name": "ops", "role": "staff"}, headers=admin.headers)
        new_key = created.json()["key"]
        for headers in (admin.headers, {"Authorization": f"Bearer {new_key}"}):
            assert client.get("/api/v1/me", headers=headers).status_code == 200
        wrong = new_key[:-4] + "AAAA"
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
        client.delete(f"/api/v1/keys/{created.json()['id']}", headers=admin.headers)
        assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {new_key}"}).status_code == 401
    assert lines, "the requests were logged"
    logged = "\n".join(lines)
    for secret in (admin.key, new_key, wrong):
        assert secret not in logged
        assert secret[3:20] not in logged  # not even a long piece of it


def test_an_unhandled_database_error_logs_no_statement_parameters(
    make_client: ClientFactory, caller: CallerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = caller("admin")
    client = make_client()
    # Two keys from the same random bytes clash on the unique prefix and hash: an IntegrityError
    # nobody expects, whose statement parameters are the new key's prefix and hash.
    monkeypatch.setattr(keys.secrets, "token_urlsafe", lambda _n: "A" * 43)
    body = {"name": "twin", "role": "staff"}
    assert client.post("/api/v1/keys", json=body, headers=admin.headers).status_code == 201
    with json_log_lines() as lines:
        response = client.post("/api/v1/keys", json=body, headers=admin.headers)
    assert response.status_code == 500
    assert response.json() == {"error": "internal_error", "detail": response.json()["detail"]}
    logged = "\n".join(lines)
    assert "IntegrityError" in logged, "the error is logged"
    key = keys.KEY_PREFIX + "A" * 43
    for secret in (key[:12], keys.hash_key(key), key):
        assert secret not in logged


def test_revoked_key_is_refused_at_once(client: TestClient, caller: CallerFactory) -> None:
    admin, staff = caller("admin"), caller("staff")
    assert client.get("/api/v1/me", headers=staff.headers).status_code == 200
    assert client.delete(f"/api/v1/keys/{staff.key_id}", headers=admin.headers).status_code == 200
    response = client.get("/api/v1/me", headers=staff.headers)
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_key_with_expiry_works_until_it_expires(client: TestClient, caller: CallerFactory) -> None:
    expires = datetime.now(UTC) + timedelta(seconds=1.5)
    created = client.post(
        "/api/v1/keys",
        json={"name": "temp", "role": "staff", "expires_at": expires.isoformat()},
        headers=caller("admin").headers,
    )
    assert created.status_code == 201, created.text
    headers = {"Authorization": f"Bearer {created.json()['key']}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds()) + 0.05)
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_expiry_given_in_another_time_zone_means_the_same_instant(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    # 10:00+05:00 is 05:00 UTC; stored without its zone it would become 10:00 UTC, five hours late.
    expires = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    local = expires.astimezone(timezone(timedelta(hours=5)))
    created = client.post(
        "/api/v1/keys",
        json={"name": "tz", "role": "staff", "expires_at": local.isoformat()},
        headers=caller("admin").headers,
    )
    assert created.status_code == 201, created.text
    assert datetime.fromisoformat(created.json()["expires_at"]) == expires
    session.expire_all()
    row = session.get(ApiKey, created.json()["id"])
    assert row is not None and row.expires_at == expires


def test_key_check_is_constant_time(
    session: Session, caller: CallerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str]] = []
    real = keys.hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(keys.hmac, "compare_digest", spy)
    staff = caller("staff")
    keys.authenticate(session, staff.key)
    assert seen and seen[-1][0] == seen[-1][1] == keys.hash_key(staff.key)


# --- throttling failed authentication ----------------------------------------------------------------


def test_repeated_bad_keys_get_429_with_retry_after(
    make_client: ClientFactory, caller: CallerFactory
) -> None:
    client = make_client(auth_failure_limit=5, auth_failure_window_seconds=60)
    bad = {"Authorization": "Bearer kb_guess"}
    statuses = [client.get("/api/v1/me", headers=bad).status_code for _ in range(5)]
    assert statuses == [401] * 5
    throttled = client.get("/api/v1/me", headers=bad)
    assert throttled.status_code == 429
    assert throttled.json()["error"] == "too_many_requests"
    assert 1 <= int(throttled.headers["retry-after"]) <= 60
    # While throttled, even a right key is refused (or guessing would go on), but /health answers.
    assert client.get("/api/v1/me", headers=caller("admin").headers).status_code == 429
    assert client.get("/api/v1/me").status_code == 429
    assert client.get("/health").status_code == 200


def test_throttling_is_per_client_address(make_client: ClientFactory, caller: CallerFactory) -> None:
    guesser = make_client(client=("10.0.0.1", 1), auth_failure_limit=3)
    for _ in range(4):
        guesser.get("/api/v1/me", headers={"Authorization": "Bearer kb_guess"})
    assert guesser.get("/api/v1/me", headers=caller("admin").headers).status_code == 429
    neighbour = TestClient(guesser.app, client=("10.0.0.2", 1))
    assert neighbour.get("/api/v1/me", headers=caller("admin").headers).status_code == 200


def test_expensive_calls_are_limited_per_key_with_retry_after(
    make_client: ClientFactory, caller: CallerFactory
) -> None:
    client = make_client(expensive_calls_per_minute=2)
    one, other = caller("staff").headers, caller("staff").headers
    explore = {"title": "Raise tax revenue", "description": "x" * 20_000, "country": "KEN"}
    for _ in range(2):
        assert client.post("/api/v1/match", json=explore, headers=one).status_code == 200
    refused = client.post("/api/v1/match", json=explore, headers=one)
    assert refused.status_code == 429 and refused.json()["error"] == "too_many_requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "per key" in refused.json()["detail"]
    # the limit is the key's: another key, and cheap calls by the same key, still pass
    assert client.post("/api/v1/match", json=explore, headers=other).status_code == 200
    assert client.get("/api/v1/me", headers=one).status_code == 200
    imported = client.post("/api/v1/import?format=json&kind=institutions", json=[], headers=one)
    assert imported.status_code == 429


def test_successful_requests_do_not_count_as_failures(
    make_client: ClientFactory, caller: CallerFactory
) -> None:
    client = make_client(auth_failure_limit=3)
    admin = caller("admin").headers
    for _ in range(10):
        assert client.get("/api/v1/me", headers=admin).status_code == 200
        assert client.get("/api/v1/offers/999999", headers=admin).status_code == 404


def test_limiter_forgets_failures_after_the_window() -> None:
    now = [1000.0]
    limiter = SlidingWindowLimiter(max_events=3, window_seconds=60, clock=lambda: now[0])
    for _ in range(3):
        limiter.record("1.2.3.4")
    assert limiter.retry_after("1.2.3.4") == 60
    now[0] += 59.5
    assert limiter.retry_after("1.2.3.4") == 1
    now[0] += 0.5
    assert limiter.retry_after("1.2.3.4") is None


def test_limiter_memory_is_bounded() -> None:
    limiter = SlidingWindowLimiter(max_events=2, max_clients=100)
    for i in range(10_000):
        limiter.record(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter) == 100


def test_limiter_counts_exactly_under_threads() -> None:
    limiter = SlidingWindowLimiter(max_events=8 * 500, window_seconds=3600)

    def fail() -> None:
        for _ in range(500):
            limiter.record("1.2.3.4")
            limiter.retry_after("1.2.3.4")

    threads = [threading.Thread(target=fail) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # Exactly the limit: one failure lost to a race would leave the client unthrottled.
    assert limiter.retry_after("1.2.3.4") is not None


# --- headers and CORS --------------------------------------------------------------------------------

BASE_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def test_every_api_answer_has_security_headers_and_no_store(
    make_client: ClientFactory, caller: CallerFactory
) -> None:
    client = make_client(auth_failure_limit=1)
    admin = caller("admin").headers
    answers = [
        client.get("/api/v1/me", headers=admin),  # 200
        client.get("/api/v1/offers/424242", headers=admin),  # 404 from a service
        client.get("/api/v1/offers/abc", headers=admin),  # 422 from validation
        client.post("/api/v1/offers", content=b"x" * (1024 * 1024 + 1), headers=admin),  # 413 (middleware)
        client.post("/api/v1/offers", content=b"x", headers=admin | {"Content-Type": "text/plain"}),  # 415
        client.get("/api/v1/nothing", headers=admin),  # 404 from routing
        client.get("/api/v1/me"),  # 401
        client.get("/api/v1/me"),  # 429
    ]
    assert [r.status_code for r in answers] == [200, 404, 422, 413, 415, 404, 401, 429]
    for response in answers:
        for name, value in BASE_HEADERS.items():
            assert response.headers[name] == value, (response.status_code, name)
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-request-id"]


def test_html_pages_get_a_strict_csp_that_admits_only_their_own_inline_script(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
        for name, value in BASE_HEADERS.items():
            assert response.headers[name] == value
        csp = dict(
            [*part.split(" ", 1), ""][:2] for part in response.headers["content-security-policy"].split("; ")
        )
        assert csp["default-src"] == "'none'"
        assert csp["frame-ancestors"] == "'none'" and csp["base-uri"] == "'none'"
        assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
        for script in re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL):
            digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in csp["script-src"]
    assert "content-security-policy" not in client.get("/health").headers


def test_cors_is_closed_by_default(client: TestClient, caller: CallerFactory) -> None:
    origin = {"Origin": "https://evil.example"}
    simple = client.get("/api/v1/me", headers=caller("admin").headers | origin)
    preflight = client.options("/api/v1/offers", headers=origin | {"Access-Control-Request-Method": "POST"})
    for response in (simple, preflight):
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-credentials" not in response.headers


def test_cors_opens_only_for_configured_origins(make_client: ClientFactory, caller: CallerFactory) -> None:
    client = make_client(cors_origins=["https://app.example.org"])
    allowed = client.options(
        "/api/v1/offers",
        headers={"Origin": "https://app.example.org", "Access-Control-Request-Method": "POST"},
    )
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.org"
    other = client.get("/api/v1/me", headers=caller("admin").headers | {"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_cors_origins_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROKER_CORS_ORIGINS", '["https://app.example.org"]')
    assert Settings().cors_origins == ["https://app.example.org"]
    monkeypatch.delenv("BROKER_CORS_ORIGINS")
    assert Settings().cors_origins == []


# --- request ids in logs -----------------------------------------------------------------------------


def test_request_id_is_on_the_access_line_and_on_errors_logged_inside_the_request(
    make_client: ClientFactory, caller: CallerFactory
) -> None:
    client = make_client()

    def fails() -> None:
        logging.getLogger("broker.test").warning("about to fail")
        raise RuntimeError("boom")

    client.app.add_api_route("/api/v1/test-failure", fails)  # type: ignore[union-attr]
    with json_log_lines() as lines:
        response = client.get(
            "/api/v1/test-failure", headers=caller("admin").headers | {"X-Request-ID": "req-42"}
        )
        assert response.status_code == 500 and response.json()["error"] == "internal_error"
        client.get("/api/v1/me", headers=caller("admin").headers | {"X-Request-ID": "req-43"})
    entries = [json.loads(line) for line in lines]
    ours = [e for e in entries if e["logger"].startswith("broker")]
    by_message = {e.get("message", e.get("path")): e for e in ours}
    assert by_message["about to fail"]["request_id"] == "req-42"
    unhandled = next(e for e in ours if e.get("message", "").startswith("unhandled error"))
    assert unhandled["request_id"] == "req-42" and "RuntimeError: boom" in unhandled["exception"]
    access = [e for e in ours if e["logger"] == "broker.access"]
    assert {(e["request_id"], e["status"]) for e in access} >= {("req-42", 500), ("req-43", 200)}


def test_generated_request_ids_are_unique_and_unsafe_ones_replaced(client: TestClient) -> None:
    ids = {client.get("/health").headers["x-request-id"] for _ in range(20)}
    assert len(ids) == 20
    sneaky = client.get("/health", headers={"X-Request-ID": "x" * 65})
    assert sneaky.headers["x-request-id"] != "x" * 65
