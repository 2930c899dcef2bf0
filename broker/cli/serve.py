from __future__ import annotations

import os
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
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its metrics here and /metrics merges them (see broker.metrics); the
        # workers are spawned after this, so they all see it.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="broker-metrics-")
    uvicorn.run(
        "broker.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
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
