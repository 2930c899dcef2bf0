"""Documented error responses, so the OpenAPI schema lists every status an endpoint can return."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from broker.schemas.common import ErrorBody

_TEXT = {
    401: "Missing, invalid, revoked or expired API key",
    403: "The key's role may not do this",
    404: "Not found, or not visible to this key",
    408: "The request body did not arrive in time",
    409: "Stale version or conflicting state",
    413: "Request body over the size limit",
    415: "The request body is not JSON (send Content-Type: application/json)",
    422: "Invalid input: each bad field with its path and a readable message",
    429: "Too many failed authentications from this address, or expensive calls by this key; see Retry-After",
    503: "The database is busy (a write could not get its lock in time); see Retry-After",
}
ALWAYS = {401, 413, 422, 429, 503}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for an endpoint: the given codes plus those any endpoint can give (``ALWAYS``)."""
    return {code: {"model": ErrorBody, "description": _TEXT[code]} for code in sorted({*ALWAYS, *codes})}


def document_body_errors(app: FastAPI) -> None:
    """Add 415 to every operation that takes a body (see ``broker.api.security.JsonBodiesOnly``)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for path_item in schema.get("paths", {}).values():
                for operation in path_item.values():
                    if isinstance(operation, dict) and "requestBody" in operation:
                        operation["responses"].setdefault(
                            "415",
                            {
                                "description": _TEXT[415],
                                "content": {
                                    "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
                                },
                            },
                        )
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
