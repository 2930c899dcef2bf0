"""A POST that only reads (exploring an unsaved request) does not queue for SQLite's write lock."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import sessionmaker
from starlette.requests import Request

from broker.api.deps import declare_read, declare_write, get_session
from broker.db import make_engine


@pytest.mark.parametrize(
    ("method", "intent", "immediate"),
    [("POST", None, True), ("POST", declare_read, False), ("GET", None, False), ("GET", declare_write, True)],
)
def test_only_requests_that_may_write_take_the_write_lock_up_front(
    tmp_path: Path, method: str, intent: Any, immediate: bool
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'locks.db'}")
    begun: list[bool] = []
    event.listen(
        engine,
        "begin",
        lambda conn: begun.append(conn.get_execution_options().get("sqlite_immediate", False)),
    )
    app = SimpleNamespace(state=SimpleNamespace(session_factory=sessionmaker(engine)))
    request = Request(
        {"type": "http", "method": method, "app": app, "headers": [], "path": "/", "query_string": b""}
    )
    if intent is not None:
        intent(request)
    sessions = get_session(request)
    session = next(sessions)
    session.execute(text("select 1"))
    with pytest.raises(StopIteration):
        next(sessions)
    assert begun == [immediate]
    engine.dispose()
