"""X-Forwarded-For is believed only from BROKER_TRUSTED_PROXIES, through a real `broker serve`
(finding 5 of issue 15: uvicorn's default believed it from any client on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.reliability.server import prepare_database, running_server

pytestmark = pytest.mark.slow
LIMIT = 3


def bad_key_from(base_url: str, forwarded_for: str) -> int:
    headers = {"Authorization": "Bearer kb_wrong", "X-Forwarded-For": forwarded_for}
    return httpx.get(f"{base_url}/api/v1/me", headers=headers, timeout=10).status_code


@pytest.fixture(params=["", "127.0.0.1"], ids=["no trusted proxy", "trusted loopback proxy"])
def served(
    request: pytest.FixtureRequest, empty_database: str, tmp_path: Path
) -> Iterator[tuple[str, str, str]]:
    admin = prepare_database(empty_database)
    env = {"BROKER_AUTH_FAILURE_LIMIT": str(LIMIT), "BROKER_TRUSTED_PROXIES": request.param}
    with running_server(empty_database, tmp_path / "server.log", env=env) as server:
        yield server.base_url, admin, request.param


def test_forwarded_for_counts_only_behind_a_trusted_proxy(served: tuple[str, str, str]) -> None:
    base_url, admin, trusted = served
    # A different made-up address on every try: it must not escape the limit...
    statuses = [bad_key_from(base_url, f"198.51.100.{i}") for i in range(LIMIT + 2)]
    good = {"Authorization": f"Bearer {admin}", "X-Forwarded-For": "203.0.113.7"}
    after = httpx.get(f"{base_url}/api/v1/me", headers=good, timeout=10).status_code
    if not trusted:
        # ...the peer (127.0.0.1) is the client, so it is throttled, whatever it claims to be
        assert statuses == [401] * LIMIT + [429, 429]
        assert after == 429
    else:
        # behind a trusted proxy each forwarded address is its own client: none throttled, and
        # a caller cannot lock out another address by naming it
        assert statuses == [401] * (LIMIT + 2)
        assert after == 200
        assert [bad_key_from(base_url, "192.0.2.9") for _ in range(LIMIT + 1)][-1] == 429
        good_b = {"Authorization": f"Bearer {admin}", "X-Forwarded-For": "192.0.2.10"}
        assert httpx.get(f"{base_url}/api/v1/me", headers=good_b, timeout=10).status_code == 200
