"""A 2xx is only sent once the write is committed; a commit that fails is never answered 2xx.

FastAPI ends ``yield`` dependencies after the response by default; the session dependency must
not (see ``broker.api.deps.SessionDep``), or a crash between the two loses an acknowledged write.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from broker import migrate
from broker.config import Settings
from broker.db import make_engine
from broker.main import create_app
from tests.reliability.world import World, seed_world

Scope = dict[str, Any]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Any, Engine, World]]:
    url = f"sqlite:///{tmp_path / 'ack.db'}"
    migrate.upgrade(url)
    observer = make_engine(url)  # a separate connection, as another process would have
    try:
        world = seed_world(observer)
        yield create_app(Settings(database_url=url, encoder="hashing")), observer, world
    finally:
        observer.dispose()


def test_row_is_committed_when_the_response_starts(served: tuple[Any, Engine, World]) -> None:
    app, observer, world = served
    visible_at_start: list[int] = []

    async def watching(scope: Scope, receive: Any, send: Any) -> None:
        async def spy(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and scope["path"] == "/api/v1/institutions":
                with observer.connect() as conn:
                    query = text("SELECT count(*) FROM institutions WHERE external_id = 'ack-1'")
                    visible_at_start.append(int(conn.execute(query).scalar() or 0))
            await send(message)

        await app(scope, receive, spy)

    body = {"external_id": "ack-1", "name": "Acked", "country": "GHA", "kind": "ngo", "languages": ["en"]}
    with TestClient(watching) as client:
        response = client.post(
            "/api/v1/institutions", json=body, headers={"Authorization": f"Bearer {world.keys['admin']}"}
        )
    assert response.status_code == 201
    assert visible_at_start == [1], "the 201 went out before the row was committed"


def test_failed_commit_is_not_answered_2xx(
    served: tuple[Any, Engine, World], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, observer, world = served

    def failing_commit(self: Session) -> None:  # the world is seeded already: only the request commits
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(Session, "commit", failing_commit)
    body = {"external_id": "ack-2", "name": "Lost", "country": "GHA", "kind": "ngo", "languages": ["en"]}
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(
            "/api/v1/institutions", json=body, headers={"Authorization": f"Bearer {world.keys['admin']}"}
        )
    assert response.status_code >= 500, response.text
    assert set(response.json()) == {"error", "detail"}
    with observer.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM institutions WHERE external_id = 'ack-2'")).scalar() == 0
        )
