"""Webhook signatures: HMAC-SHA256 over the timestamp and the exact body bytes.

The header is ``X-Broker-Signature: t=<unix seconds>,v1=<hex digest>``, where the digest is
``HMAC_SHA256(secret, f"{t}." + body)``. A receiver recomputes it from the raw body, compares in
constant time, and refuses a timestamp older than its tolerance (a replayed request).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

HEADER = "X-Broker-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE_S = 300


def new_secret() -> str:
    """A fresh signing secret (256 bits, URL-safe text)."""
    return "whsec_" + secrets.token_urlsafe(32)


def digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},{SCHEME}={digest(secret, timestamp, body)}"


def verify(
    secret: str, header: str, body: bytes, *, now: float | None = None, tolerance_s: int = DEFAULT_TOLERANCE_S
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` and is at most ``tolerance_s`` old."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    given = parts.get(SCHEME, "")
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(given, digest(secret, timestamp, body))
