"""Test databases: SQLite always, PostgreSQL when BROKER_TEST_POSTGRES_URL is set.

Each database is created once per run by the Alembic migrations (so they are exercised); every
test runs inside a transaction that is rolled back afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

os.environ["BROKER_ENCODER"] = (
    "hashing"  # the fast deterministic test encoder, unless a test asks for the model
)
# Test apps share one rolled-back transaction: no dispatcher thread (the alert tests run their own).
os.environ["BROKER_ALERTS_DISPATCH"] = "false"

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from broker import migrate
from broker.api.deps import after_failed_request, get_session
from broker.config import Settings
from broker.db import make_engine
from broker.main import create_app

POSTGRES_URL = os.environ.get("BROKER_TEST_POSTGRES_URL")
pytest_plugins = ["tests.factories"]


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """Create a throwaway database next to ``admin_url``'s and drop it afterwards."""
    name = f"broker_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        migrate.upgrade(url)
        yield url
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests skipped: BROKER_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    with postgres_database(POSTGRES_URL) as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose commits are savepoints inside one transaction rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False, autoflush=False
        )
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture(scope="session")
def app_settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, encoder="hashing")


@pytest.fixture
def client(app_settings: Settings, session: Session) -> Iterator[TestClient]:
    """An API client whose requests share the test's session (and so its rollback)."""
    with session_client(app_settings, session) as test_client:
        yield test_client


@pytest.fixture
def model_client(app_settings: Settings, session: Session) -> Iterator[TestClient]:
    """Like ``client``, with the real default (multilingual) model instead of the test encoder."""
    with session_client(app_settings.model_copy(update={"encoder": "model"}), session) as test_client:
        yield test_client


@contextmanager
def session_client(app_settings: Settings, session: Session) -> Iterator[TestClient]:
    """An API client of an app made with ``app_settings`` whose requests share ``session``."""
    app = create_app(app_settings)

    def _session(request: Request) -> Iterator[Session]:
        # Each request is its own savepoint, as it would be its own transaction in production.
        request_scope = session.begin_nested()
        try:
            yield session
            request_scope.commit()
        except BaseException as exc:
            request_scope.rollback()
            after_failed_request(request, session, exc)
            raise

    app.dependency_overrides[get_session] = _session
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def tmp_sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'broker.db'}"
