"""HTTP hardening: throttling of failed authentication, JSON-only bodies, NUL-free URLs, headers.

The failure counts live in memory, so the limit holds per process: with ``--workers N`` a client
gets up to N times the limit before every worker refuses it. The client address is the connecting
peer's, or the forwarded one when the peer is in ``BROKER_TRUSTED_PROXIES`` (see broker.main).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_PREFIX = "/api/"
WRITE_METHODS = {"POST", "PUT", "PATCH"}

# Headers every response carries; HTML responses add a Content-Security-Policy.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
# The docs pages load Swagger UI / ReDoc from jsDelivr and start them with one inline script, which
# is allowed by its hash; nothing else may run, frame the page or submit forms.
CSP_TEMPLATE = (
    "default-src 'none'; script-src https://cdn.jsdelivr.net{script_hashes}; "
    "style-src https://cdn.jsdelivr.net https://fonts.googleapis.com 'unsafe-inline'; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.jsdelivr.net; "
    "font-src https://fonts.gstatic.com; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


async def send_json_error(
    send: Send, status: int, code: str, detail: Any, headers: list[tuple[bytes, bytes]]
) -> None:
    """Answer with the service's error shape from inside a middleware (before any endpoint ran)."""
    body = json.dumps({"error": code, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SlidingWindowLimiter:
    """Counts events (failed authentications, expensive calls) per client in a sliding window;
    thread-safe, bounded in memory."""

    def __init__(
        self,
        *,
        max_events: int = 20,
        window_seconds: float = 60.0,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_events = max_events
        self.window = window_seconds
        self.max_clients = max_clients
        self._clock = clock
        self._events: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many clients have recent events on record."""
        with self._lock:
            return len(self._events)

    def retry_after(self, client: str) -> int | None:
        """Seconds until ``client`` may try again, or None if it is not throttled."""
        with self._lock:
            return self._wait(client)

    def acquire(self, client: str) -> int | None:
        """Count one event unless ``client`` is at its limit; returns None, or the seconds to wait."""
        with self._lock:
            wait = self._wait(client)
            if wait is None:
                self._record(client)
            return wait

    def record(self, client: str) -> None:
        with self._lock:
            self._record(client)

    def _wait(self, client: str) -> int | None:
        recent = self._recent(client, self._clock())
        if recent is None or len(recent) < self.max_events:
            return None
        return max(1, int(recent[0] + self.window - self._clock() + 0.999))

    def _record(self, client: str) -> None:
        now = self._clock()
        recent = self._recent(client, now)
        if recent is None:
            recent = self._events[client] = deque(maxlen=self.max_events)
        recent.append(now)
        self._events.move_to_end(client)
        while len(self._events) > self.max_clients:
            self._events.popitem(last=False)  # the client idle longest

    def _recent(self, client: str, now: float) -> deque[float] | None:
        recent = self._events.get(client)
        if recent is None:
            return None
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        if not recent:
            del self._events[client]
            return None
        return recent


class AuthFailureLimit:
    """Refuse /api requests with 429 from a client that failed authentication too often lately.

    While throttled, a client is refused even with a valid key: otherwise guessing would go on
    and a right guess would still be answered.
    """

    def __init__(self, app: ASGIApp, limiter: SlidingWindowLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
        wait = self.limiter.retry_after(client)
        if wait is not None:
            detail = f"too many failed authentications from this address; retry in {wait} s"
            await send_json_error(
                send, 429, "too_many_requests", detail, [(b"retry-after", str(wait).encode())]
            )
            return

        async def watching_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                self.limiter.record(client)
            await send(message)

        await self.app(scope, receive, watching_send)


# Bulk import reads CSV and NDJSON as well as JSON; it checks its own body.
FILE_UPLOAD_PATHS = frozenset({"/api/v1/import"})


class JsonBodiesOnly:
    """Refuse /api writes whose body is not JSON with 415, before anything tries to parse them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] in WRITE_METHODS
            and scope["path"].startswith(API_PREFIX)
            and scope["path"] not in FILE_UPLOAD_PATHS
            and _has_body(scope)
            and not _is_json(dict(scope["headers"]).get(b"content-type", b""))
        ):
            detail = "request bodies must be JSON: send 'Content-Type: application/json'"
            await send_json_error(send, 415, "unsupported_media_type", detail, [])
            return
        await self.app(scope, receive, send)


class NulFreeUrls:
    """Refuse a NUL character in the path or query with 422: PostgreSQL text cannot hold or match it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and ("\x00" in scope["path"] or b"%00" in scope["query_string"]):
            body = {"loc": ["query"], "msg": "the URL must not contain NUL characters", "type": "value_error"}
            await send_json_error(send, 422, "validation_error", [body], [])
            return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """nosniff, no framing, no referrer on every response; no-store on /api; a strict CSP on HTML."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # API answers hold institutions' records: no cache along the way may keep them.
        api = scope["path"].startswith(API_PREFIX)
        extra = [*SECURITY_HEADERS, (b"cache-control", b"no-store")] if api else SECURITY_HEADERS
        held: Message | None = None
        html_parts: list[bytes] = []

        async def send_with_headers(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if api:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                message["headers"] = headers = [*headers, *extra]
                # A page that brings its own CSP keeps it (the staff pages under /ui run no script).
                own = dict(headers)
                if _is_html(own.get(b"content-type", b"")) and b"content-security-policy" not in own:
                    held = message  # the CSP needs the page's inline scripts: hold until the body is in
                    return
                await send(message)
                return
            if held is None:
                await send(message)
                return
            html_parts.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            page = b"".join(html_parts)
            held["headers"].append((b"content-security-policy", content_security_policy(page).encode()))
            await send(held)
            await send({"type": "http.response.body", "body": page})

        await self.app(scope, receive, send_with_headers)


def content_security_policy(page: bytes) -> str:
    """The CSP for an HTML page: only jsDelivr scripts and the page's own inline scripts, by hash."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    return CSP_TEMPLATE.format(script_hashes=hashes)


def _has_body(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    length = headers.get(b"content-length")
    if length is not None:
        return length.strip() not in (b"", b"0")
    return b"transfer-encoding" in headers


def _media_type(content_type: bytes) -> str:
    return content_type.split(b";", 1)[0].strip().lower().decode("latin-1")


def _is_json(content_type: bytes) -> bool:
    media = _media_type(content_type)
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _is_html(content_type: bytes) -> bool:
    return _media_type(content_type) == "text/html"
