"""The FastAPI application: wiring, middleware, and the things created once per process."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from sqlalchemy.orm import Session, sessionmaker
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from broker import metrics
from broker.api import api_router
from broker.api.errors import install_error_handlers
from broker.api.middleware import BodySizeLimit, RequestId, UnhandledErrors
from broker.api.responses import document_body_errors
from broker.api.routes.health import router as health_router
from broker.api.routes.metrics import router as metrics_router
from broker.api.security import (
    AuthFailureLimit,
    JsonBodiesOnly,
    NulFreeUrls,
    SecurityHeaders,
    SlidingWindowLimiter,
)
from broker.config import Settings, get_settings
from broker.db import make_engine, make_session_factory
from broker.events.dispatcher import Dispatcher
from broker.ranking.embedding.models import load_encoder
from broker.ranking.engine import MatchEngine
from broker.services.bulk import jobs
from broker.ui import install_ui

log = logging.getLogger(__name__)


def _warm_up(session_factory: sessionmaker[Session], engine: MatchEngine) -> None:
    try:
        with session_factory() as session:
            engine.suggester.prepare(session, store=False)
    except Exception:  # the first write prepares it again, and reports any error there
        log.exception("could not prepare the code suggester at start-up")


def _sweep_interrupted_jobs(session_factory: sessionmaker[Session]) -> None:
    """Store "failed" on import jobs left running by a process that is gone (a crash or kill): their
    readers see it at once, and a list filtered by status is true. Jobs of live workers are kept."""
    try:
        with session_factory() as session:
            swept = jobs.fail_interrupted(session)
            session.commit()
        if swept:
            log.warning("%d import job(s) interrupted by a stopped process marked failed", swept)
    except Exception:  # a read-only or busy database must not stop the service from starting
        log.exception("could not sweep interrupted import jobs at start-up")


def _load_snapshot(engine: MatchEngine, path: Path) -> None:
    """Start from the offer index snapshot if it fits this model; otherwise read the catalogue."""
    if not path.exists():
        log.warning("index snapshot %s does not exist; reading the catalogue instead", path)
        return
    try:
        generation = engine.load_snapshot(path)
    except (ValueError, OSError, KeyError) as exc:
        log.warning("index snapshot %s not used (%s); reading the catalogue instead", path, exc)
        return
    log.info("offer index mapped from %s at generation %s", path, generation)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url, write_wait_s=settings.write_wait_seconds)
        app.state.db_engine = engine
        app.state.session_factory = make_session_factory(engine)
        encoder = load_encoder(
            settings.encoder,
            settings.embedding_model,
            settings.embedding_threads,
            settings.embedding_precision,
        )
        app.state.match_engine = MatchEngine(encoder)
        if settings.index_snapshot is not None:
            _load_snapshot(app.state.match_engine, settings.index_snapshot)
        _sweep_interrupted_jobs(app.state.session_factory)
        metrics.instrument_engine(app.state.match_engine)
        # The model, torch and the reference data are millions of long-lived objects: keep them out of
        # the collector's view, or every full collection during an import stalls all requests for
        # 0.2 s and more (measured; 14 ms once frozen).
        gc.collect()
        gc.freeze()
        # Build the code suggester's index off the request path (seconds with the shipped
        # embeddings, minutes for a model without them); a GET stores nothing, and neither does this.
        threading.Thread(
            target=_warm_up, args=(app.state.session_factory, app.state.match_engine), daemon=True
        ).start()
        dispatcher = None
        if settings.alerts_dispatch:
            dispatcher = Dispatcher(app.state.session_factory, settings, engine=app.state.match_engine)
            dispatcher.start()
        app.state.dispatcher = dispatcher
        try:
            yield
        finally:
            if dispatcher is not None:
                dispatcher.stop()
            engine.dispose()

    app = FastAPI(
        title="knowledge-broker",
        version="0.1.0",
        summary="Matches the demand for development knowledge with its supply, and says why.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_error_handlers(app)
    document_body_errors(app)
    app.include_router(health_router)
    app.include_router(metrics_router)
    app.include_router(api_router)
    install_ui(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["Authorization", "Content-Type"],
        )
    # Outermost last: RequestId > SecurityHeaders > UnhandledErrors > AuthFailureLimit > BodySizeLimit
    # > JsonBodiesOnly > NulFreeUrls (see broker.api.security).
    app.add_middleware(NulFreeUrls)
    app.add_middleware(JsonBodiesOnly)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.state.auth_failures = SlidingWindowLimiter(
        max_events=settings.auth_failure_limit, window_seconds=settings.auth_failure_window_seconds
    )
    app.add_middleware(AuthFailureLimit, limiter=app.state.auth_failures)
    app.state.expensive_calls = SlidingWindowLimiter(
        max_events=settings.expensive_calls_per_minute, window_seconds=60.0
    )
    app.add_middleware(UnhandledErrors)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestId, route_label=metrics.RouteLabels(app.openapi))
    if settings.trusted_proxies.strip():
        # Outermost, so the limits and the logs see the client behind a proxy we trust, and only then
        # (`broker serve` turns uvicorn's own handling off: by default it believes any local peer).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app
