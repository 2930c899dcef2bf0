"""A real ``broker serve`` in a subprocess on 127.0.0.1, for tests that need uvicorn, not TestClient."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill_hard(self) -> None:
        """SIGKILL the server and its workers (its own process group), as a power cut would."""
        _signal_group(self.process, signal.SIGKILL)
        self.process.wait(timeout=30)


def broker_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BROKER_")}
    env |= {"BROKER_DATABASE_URL": database_url, "BROKER_ENCODER": "hashing", "BROKER_LOG_LEVEL": "info"}
    return env


def broker_cli(database_url: str, *args: str) -> str:
    """Run ``python -m broker ARGS`` against the database; returns stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "broker", *args],
        cwd=REPO,
        env=broker_env(database_url),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"broker {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def prepare_database(database_url: str) -> str:
    """Migrate the database and return a new admin key (the last line ``keys create`` prints)."""
    broker_cli(database_url, "db", "upgrade")
    return (
        broker_cli(database_url, "keys", "create", "--role", "admin", "--name", "reliability")
        .strip()
        .splitlines()[-1]
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    database_url: str, log_path: Path, *, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[Server]:
    """Start ``broker serve`` (with ``env`` added to its environment) and wait until /health answers;
    stop it (if still alive) afterwards."""
    port = free_port()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "broker",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            cwd=REPO,
            env=broker_env(database_url) | (env or {}),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so its workers can be stopped with it
        )
    server = Server(process, f"http://127.0.0.1:{port}", log_path)
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        if process.poll() is None:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=10)


def _wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"broker serve exited with {server.process.returncode}:\n{server.log()[-3000:]}"
            )
        try:
            if httpx.get(f"{server.base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"broker serve did not become healthy in {START_TIMEOUT_S} s:\n{server.log()[-3000:]}")


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)  # the group we created for this very process (start_new_session)
