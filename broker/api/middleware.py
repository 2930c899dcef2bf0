"""ASGI middleware: request size limit, request ids, and the last word on unhandled errors."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from broker import metrics
from broker.api.logs import request_id_var
from broker.api.security import send_json_error

log = logging.getLogger("broker.access")
error_log = logging.getLogger("broker.api.errors")


class BodyTooLarge(HTTPException):
    """Raised from ``receive``; an HTTPException so FastAPI's body parsing passes it through as is."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request bodies are limited to {max_bytes} bytes")


class BodySizeLimit:
    """Refuse bodies over ``max_bytes`` with 413, whether or not Content-Length is declared."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._reject(send)

    async def _reject(self, send: Send) -> None:
        detail = f"request bodies are limited to {self.max_bytes} bytes"
        await send_json_error(send, 413, "payload_too_large", detail, [])


class RequestId:
    """Give every request an id (or keep the caller's X-Request-ID), echo it, log one line per request
    and count it in the metrics, by ``route_label(path)``."""

    def __init__(self, app: ASGIApp, route_label: Callable[[str], str] = lambda _path: "unmatched") -> None:
        self.app = app
        self.route_label = route_label

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        status: dict[str, Any] = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status["code"],
                        "ms": round(seconds * 1000, 1),
                    }
                )
            )
            # The route's template, not the path: ids in paths would make a series per record.
            route = self.route_label(str(scope.get("path")))
            method = str(scope.get("method"))
            metrics.HTTP_REQUESTS.labels(method, route, str(status["code"])).inc()
            metrics.HTTP_SECONDS.labels(method, route).observe(seconds)
            request_id_var.reset(token)


class UnhandledErrors:
    """Answer 500 for an exception nothing else handled, and log it without secret material.

    It does not re-raise: the server would log the exception's full text again. Database errors are
    logged by kind, SQLSTATE and statement only, since a driver's message can quote the row
    (PostgreSQL: ``Key (key_hash)=(...) already exists``) and parameters can be key hashes.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            error_log.error(
                "unhandled error on %s %s",
                scope.get("method"),
                scope.get("path"),
                extra={"exception_text": describe_safely(exc)},
            )
            if not started:
                detail = "an unexpected error occurred; it has been logged"
                await send_json_error(send, 500, "internal_error", detail, [])


def describe_safely(exc: BaseException) -> str:
    """The traceback of ``exc`` and the exceptions it chains, with database messages left out."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append("".join(traceback.format_tb(current.__traceback__)) + _safe_message(current))
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\n-- caused by / while handling --\n".join(reversed(parts))


def _safe_message(exc: BaseException) -> str:
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    if isinstance(exc, DBAPIError):
        sqlstate = getattr(exc.orig, "sqlstate", None)
        return f"{name} ({type(exc.orig).__name__}, SQLSTATE {sqlstate}) in: {exc.statement}"
    if isinstance(exc, sqlite3.Error | psycopg.Error):
        return f"{name} (SQLSTATE {getattr(exc, 'sqlstate', None)}); message withheld"
    return f"{name}: {exc}"
