"""Render every error as ``{"error": <code>, "detail": ...}``."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from broker import metrics
from broker.db import is_lock_timeout
from broker.errors import BrokerError, ServiceUnavailable

log = logging.getLogger(__name__)

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
}


CLIENT_CLOSED_REQUEST = 499


class ErrorResponse(JSONResponse):
    """Errors may quote the caller's input: an unpaired surrogate in it must not break the answer."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "replace")


def error_response(
    status: int, code: str, detail: Any, headers: dict[str, str] | None = None
) -> JSONResponse:
    return ErrorResponse(
        {"error": code, "detail": jsonable_encoder(detail)}, status_code=status, headers=headers
    )


def _validation_entries(exc: RequestValidationError) -> list[dict[str, Any]]:
    entries = []
    for err in exc.errors():
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        entries.append({"loc": list(err.get("loc", ())), "msg": msg, "type": err.get("type", "value_error")})
    return entries


def _unreadable_body(exc: StarletteHTTPException) -> str | None:
    """Why FastAPI could not parse a JSON body (its own 400 says only "error parsing the body")."""
    if exc.status_code != 400:
        return None
    if isinstance(exc.__cause__, UnicodeDecodeError):
        return "the body is not valid UTF-8"
    if isinstance(exc.__cause__, RecursionError):
        return "the JSON body is nested too deeply"
    if exc.__cause__ is not None:
        return "the body could not be read as JSON"
    return None


def _broker_error(exc: BrokerError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return error_response(exc.status, exc.code, exc.detail, headers or None)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BrokerError)
    async def _broker(_: Request, exc: BrokerError) -> JSONResponse:
        return _broker_error(exc)

    @app.exception_handler(DBAPIError)
    async def _database(_: Request, exc: DBAPIError) -> JSONResponse:
        if is_lock_timeout(exc):
            metrics.LOCK_TIMEOUTS.inc()
            return _broker_error(ServiceUnavailable("the database is busy; retry shortly"))
        raise exc  # unexpected: broker.api.middleware.UnhandledErrors answers and logs it

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "validation_error", _validation_entries(exc))

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, _: ClientDisconnect) -> JSONResponse:
        # The client hung up before its body was in: nothing was done and nobody reads the answer.
        # 499 as in nginx's logs, so the access line says what happened; no traceback.
        log.info("client disconnected before sending its whole body: %s %s", request.method, request.url.path)
        return error_response(CLIENT_CLOSED_REQUEST, "client_closed_request", "the client disconnected")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        unreadable = _unreadable_body(exc)
        if unreadable:
            return error_response(
                422, "validation_error", [{"loc": ["body"], "msg": unreadable, "type": "json_invalid"}]
            )
        code = HTTP_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, exc.detail, getattr(exc, "headers", None))
