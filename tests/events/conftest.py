"""Fixtures of the alert tests: a loopback receiver and a dispatcher on the test's transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from broker.config import Settings
from broker.events.dispatcher import Dispatcher
from broker.ranking.embedding.encoder import HashingEncoder
from broker.ranking.engine import MatchEngine
from tests.events.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.down()


@pytest.fixture
def alert_settings(app_settings: Settings) -> Settings:
    """Loopback allowed (the receiver is on 127.0.0.1); retries at once, so tests need not wait."""
    return app_settings.model_copy(
        update={
            "webhook_allow_private": True,
            "webhook_backoff_base_seconds": 0.001,
            "webhook_backoff_cap_seconds": 0.001,
            "webhook_timeout_seconds": 5.0,
        }
    )


@pytest.fixture
def dispatcher(session: Session, alert_settings: Settings) -> Iterator[Dispatcher]:
    """A dispatcher whose sessions are savepoints of the test's transaction (so they see its rows)."""
    factory = sessionmaker(
        bind=session.connection(),
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )
    d = Dispatcher(factory, alert_settings, engine=MatchEngine(HashingEncoder()))
    yield d
    d.client.close()
