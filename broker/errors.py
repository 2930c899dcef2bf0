"""Domain errors raised by services and rendered by one handler as ``{"error": ..., "detail": ...}``."""

from __future__ import annotations

from typing import Any


class BrokerError(Exception):
    """Base of every error a client may see; ``status`` is the HTTP status it maps to."""

    status: int = 400
    code: str = "bad_request"
    # Seconds for a Retry-After header (429, 503), or None.
    retry_after: int | None = None

    def __init__(self, detail: Any = None) -> None:
        super().__init__(detail)
        self.detail = detail if detail is not None else self.code.replace("_", " ")


class InvalidInput(BrokerError):
    status = 422
    code = "validation_error"


class Unauthorized(BrokerError):
    status = 401
    code = "unauthorized"


class Forbidden(BrokerError):
    status = 403
    code = "forbidden"


class NotFound(BrokerError):
    status = 404
    code = "not_found"


class Conflict(BrokerError):
    status = 409
    code = "conflict"


class StaleVersion(Conflict):
    code = "stale_version"


class PayloadTooLarge(BrokerError):
    status = 413
    code = "payload_too_large"


class TooManyRequests(BrokerError):
    status = 429
    code = "too_many_requests"

    def __init__(self, detail: Any = None, *, retry_after: int | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ServiceUnavailable(BrokerError):
    status = 503
    code = "service_unavailable"
    retry_after = 5


class RequestTimeout(BrokerError):
    status = 408
    code = "request_timeout"
