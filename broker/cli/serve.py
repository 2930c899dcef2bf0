from __future__ import annotations

import errno
import os
import socket
import tempfile

import typer
import uvicorn

from broker.api.logs import logging_config
from broker.config import get_settings


def serve(
    host: str | None = typer.Option(None, help="Bind address (default BROKER_HOST or 127.0.0.1)"),
    port: int | None = typer.Option(None, help="Port (default BROKER_PORT or 8000)"),
    workers: int = typer.Option(1, min=1, help="Worker processes"),
) -> None:
    """Serve the API (OpenAPI UI at /docs)."""
    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    problem = port_problem(host, port)
    if problem:
        typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its metrics here and /metrics merges them (see broker.metrics); the
        # workers are spawned after this, so they all see it.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="broker-metrics-")
    uvicorn.run(
        "broker.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        # One JSON line per request comes from broker.api.middleware.RequestId, with its request id.
        log_config=logging_config(settings.log_level),
        access_log=False,
        # Forwarded headers are believed only from BROKER_TRUSTED_PROXIES, by the app itself
        # (broker.main): uvicorn's default would believe them from any client on 127.0.0.1.
        proxy_headers=False,
        # uvicorn kills a worker that misses a 5 s health ping; a busy worker (40 request threads
        # on a loaded box) can miss one, and its killing resets every connection it was serving.
        timeout_worker_healthcheck=30,
    )


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be served (in use, not an address here), or None if it can.

    uvicorn would log a bare "[Errno 98] address already in use" and exit; this says what to do.
    Bound with SO_REUSEADDR, as uvicorn binds, so a port left in TIME_WAIT counts as free.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (
                    f"port {port} is in use — stop the other server or run `make run PORT={port + 1}` "
                    f"(or `broker serve --port {port + 1}`, or set BROKER_PORT)"
                )
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None
