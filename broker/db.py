"""Engine and session factory for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from broker.writer_queue import WriterQueue

SQLITE_BUSY_TIMEOUT_MS = 15_000
# How long a writing request may queue for its turn (see broker.writer_queue) before it fails.
SQLITE_WRITER_WAIT_S = 60.0
_WRITER_TOKEN = "broker_writer_token"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, a busy timeout and real transactions.

    pysqlite's own transaction handling is switched off so that SAVEPOINT works and so that a
    session that is going to write can take the write lock up front (``BEGIN IMMEDIATE``): a
    deferred transaction that upgrades to a writer after another writer committed fails at once
    with "database is locked", whatever the busy timeout.
    """
    if not is_sqlite(url):
        return create_engine(url, pool_pre_ping=True, **kwargs)

    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, **kwargs)
    database = make_url(url).database or ""
    on_disk = database not in ("", ":memory:") and not database.startswith("file:")
    writers = WriterQueue(os.path.abspath(database), SQLITE_WRITER_WAIT_S) if on_disk else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        if make_url(url).database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit that was acknowledged survives a power cut, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        if immediate and writers is not None and _WRITER_TOKEN not in conn.info:
            # Queue for the turn to write before asking SQLite, whose own waiting is not fair.
            conn.info[_WRITER_TOKEN] = writers.acquire()
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        except BaseException:
            _give_back_turn(conn.info)
            raise

    def _give_back_turn(info: dict[str, Any]) -> None:
        token = info.pop(_WRITER_TOKEN, None)
        if token is not None and writers is not None:
            writers.release(token)

    # The turn lasts until the connection goes back to the pool, i.e. after COMMIT or ROLLBACK.
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        _give_back_turn(record.info)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_conn: Any, record: Any, _exc: Any) -> None:
        _give_back_turn(record.info)

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
