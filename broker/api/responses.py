"""Documented error responses, so the OpenAPI schema lists every status an endpoint can return."""

from __future__ import annotations

from typing import Any

from broker.schemas.common import ErrorBody

_TEXT = {
    401: "Missing, invalid, revoked or expired API key",
    403: "The key's role may not do this",
    404: "Not found, or not visible to this key",
    409: "Stale version or conflicting state",
    413: "Request body over the size limit",
    422: "Invalid input: each bad field with its path and a readable message",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an endpoint: the given codes plus 401, 413 and 422, which any endpoint can give."""
    return {
        code: {"model": ErrorBody, "description": _TEXT[code]} for code in sorted({401, 413, 422, *codes})
    }
