"""Structured logs: one JSON object per line, each carrying the id of the request it belongs to."""

from __future__ import annotations

import copy
import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from uvicorn.config import LOGGING_CONFIG

# Set by ``RequestId`` for the duration of a request; sync endpoints see it too, since the
# threadpool they run in copies the context.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Stamp ``record.request_id`` with the current request's id (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON line; a message that is itself a JSON object is merged in."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        message = record.getMessage()
        try:
            parsed = json.loads(message) if message.startswith("{") else None
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            entry.update(parsed)
        else:
            entry["message"] = message
        safe_traceback = getattr(record, "exception_text", None)  # already made safe to log
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif safe_traceback:
            entry["exception"] = safe_traceback
        return json.dumps(entry, default=str)


def logging_config(level: str) -> dict[str, Any]:
    """uvicorn's logging setup plus JSON lines with request ids for the ``broker`` loggers.

    Passed to uvicorn as ``log_config`` so that every worker process applies it.
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["request_id"] = {"()": RequestIdFilter}
    config["formatters"]["json"] = {"()": JsonFormatter}
    config["handlers"]["broker"] = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "filters": ["request_id"],
        "stream": "ext://sys.stderr",
    }
    config["loggers"]["broker"] = {"handlers": ["broker"], "level": level.upper(), "propagate": False}
    return config
