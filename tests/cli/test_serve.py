"""``broker serve`` on a port that is taken: a readable message and a non-zero exit, at once."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from broker.cli.serve import port_problem
from tests.cli.test_cli import broker


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_serve_on_a_busy_port_says_what_to_do_and_exits_1(tmp_sqlite_url: str, busy_port: int) -> None:
    result = broker(tmp_sqlite_url, "serve", "--port", str(busy_port))
    assert result.returncode == 1
    assert f"port {busy_port} is in use — stop the other server or run `make run PORT={busy_port + 1}`" in (
        result.stderr
    )
    assert "Errno" not in result.stderr


def test_a_free_port_has_no_problem(busy_port: int) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free = probe.getsockname()[1]
    assert port_problem("127.0.0.1", free) is None
    assert port_problem("127.0.0.1", busy_port) is not None


def test_an_address_that_is_not_on_this_machine_is_named(tmp_sqlite_url: str) -> None:
    result = broker(tmp_sqlite_url, "serve", "--host", "192.0.2.1", "--port", "8000")  # TEST-NET-1
    assert result.returncode == 1 and "cannot listen on 192.0.2.1:8000" in result.stderr
