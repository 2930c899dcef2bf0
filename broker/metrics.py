"""Prometheus metrics of the service, exported at ``GET /metrics``.

With several worker processes (``broker serve --workers N``) every worker writes its samples to
``PROMETHEUS_MULTIPROC_DIR`` (set by ``broker serve``) and a scrape of any worker merges them:
counters and histograms are summed, the index gauges are kept per worker (label ``pid``).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, ClassVar, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY

F = TypeVar("F", bound=Callable[..., Any])
FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

HTTP_REQUESTS = Counter(
    "broker_http_requests", "HTTP requests answered, by method, route template and status",
    ["method", "route", "status"],
)  # fmt: skip
HTTP_SECONDS = Histogram(
    "broker_http_request_seconds", "Time to answer an HTTP request, by method and route template",
    ["method", "route"], buckets=FAST,
)  # fmt: skip
RANKING_SECONDS = Histogram(
    "broker_ranking_seconds", "Time the match engine takes to rank one list (kind: offers, requests)",
    ["kind"], buckets=FAST,
)  # fmt: skip
EMBEDDED_TEXTS = Counter("broker_embedded_texts", "Texts embedded by the model")
EMBEDDING_SECONDS = Histogram(
    "broker_embedding_seconds", "Time of one call to the embedding model", buckets=FAST
)
EMBEDDING_QUEUE = Gauge(
    "broker_embedding_in_progress", "Texts being embedded right now (waiting for or inside the model)",
    multiprocess_mode="livesum",
)  # fmt: skip
INDEX_OFFERS = Gauge(
    "broker_index_offers", "Offers in this worker's in-memory match index", multiprocess_mode="all"
)
INDEX_GENERATION = Gauge(
    "broker_index_generation", "Catalogue generation this worker's match index is at", multiprocess_mode="all"
)
LOCK_WAIT_SECONDS = Histogram(
    "broker_db_lock_wait_seconds", "Time a write waited for its turn at the SQLite write lock", buckets=FAST
)
LOCK_TIMEOUTS = Counter("broker_db_lock_timeouts", "Writes that got no database lock in time (answered 503)")


def render() -> tuple[bytes, str]:
    """The current samples in the Prometheus text format, merged across workers when there are several."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(DEFAULT_REGISTRY), CONTENT_TYPE_LATEST


def observe_index(engine: Any) -> None:
    INDEX_OFFERS.set(len(engine.offers))
    INDEX_GENERATION.set(engine.generation)


def instrument_engine(engine: Any) -> None:
    """Time the engine's rankings and its encoder's calls, and follow its index (wraps the instance)."""
    engine.rank_offers = _timed_ranking(engine, engine.rank_offers, "offers")
    engine.rank_requests = _timed_ranking(engine, engine.rank_requests, "requests")
    encode = engine.encoder.encode
    if getattr(encode, "counted", False):  # the encoder is cached per process: wrap it once
        return

    @wraps(encode)
    def counted_encode(texts: Any, *args: Any, **kwargs: Any) -> Any:
        n = len(texts)
        EMBEDDING_QUEUE.inc(n)
        started = time.perf_counter()
        try:
            return encode(texts, *args, **kwargs)
        finally:
            EMBEDDING_SECONDS.observe(time.perf_counter() - started)
            EMBEDDING_QUEUE.dec(n)
            EMBEDDED_TEXTS.inc(n)

    counted_encode.counted = True  # type: ignore[attr-defined]
    engine.encoder.encode = counted_encode


def _timed_ranking(engine: Any, rank: F, kind: str) -> F:
    @wraps(rank)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return rank(*args, **kwargs)
        finally:
            RANKING_SECONDS.labels(kind).observe(time.perf_counter() - started)
            observe_index(engine)

    return timed  # type: ignore[return-value]


class RouteLabels:
    """The route template of a request path ("/api/v1/offers/{item_id}"), for labels that do not grow
    with the number of records or with made-up paths. Read from the app's OpenAPI paths on first use,
    once per process (generating the schema takes ~0.4 s); "/ui" for the staff pages."""

    _shared: ClassVar[list[tuple[re.Pattern[str], str]] | None] = None

    def __init__(self, openapi: Callable[[], dict[str, Any]]) -> None:
        self._openapi = openapi

    def __call__(self, path: str) -> str:
        if RouteLabels._shared is None:
            RouteLabels._shared = [
                (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"), template)
                for template in self._openapi().get("paths", {})
            ]
        for pattern, template in RouteLabels._shared:
            if pattern.match(path):
                return template
        return "/ui" if path == "/ui" or path.startswith("/ui/") else "unmatched"
