"""Engine and session factory for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from broker.events import outbox
from broker.ranking.catalog import watch_writes
from broker.writer_queue import WriterQueue

watch_writes()  # every session's writes to the catalogue advance its generation
outbox.watch_writes()  # and the changes subscribers hear of write their events (the outbox)

SQLITE_BUSY_TIMEOUT_MS = 15_000
# How long a write may wait for its turn (SQLite: broker.writer_queue; PostgreSQL: lock_timeout)
# before it fails with 503; BROKER_WRITE_WAIT_SECONDS in the service.
WRITE_WAIT_S = 30.0
_WRITER_TOKEN = "broker_writer_token"
# SQLSTATE of PostgreSQL's lock_timeout ("lock_not_available").
_PG_LOCK_NOT_AVAILABLE = "55P03"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def is_lock_timeout(exc: BaseException) -> bool:
    """Whether a database error means "waited too long for a lock" (the caller may retry), not a bug."""
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:
        return True
    return "database is locked" in str(exc.orig).lower()


def make_engine(url: str, *, write_wait_s: float = WRITE_WAIT_S, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, a busy timeout and real transactions.

    pysqlite's own transaction handling is switched off so that SAVEPOINT works and so that a
    session that is going to write can take the write lock up front (``BEGIN IMMEDIATE``): a
    deferred transaction that upgrades to a writer after another writer committed fails at once
    with "database is locked", whatever the busy timeout.

    Every wait for a lock is bounded by ``write_wait_s``. Statement parameters are kept out of
    error messages and logs (``hide_parameters``): they can hold key hashes and personal data.
    """
    kwargs.setdefault("hide_parameters", True)
    if not is_sqlite(url):
        lock_timeout = f"-c lock_timeout={int(write_wait_s * 1000)}"
        return create_engine(url, pool_pre_ping=True, connect_args={"options": lock_timeout}, **kwargs)

    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, **kwargs)
    database = make_url(url).database or ""
    on_disk = database not in ("", ":memory:") and not database.startswith("file:")
    writers = WriterQueue(os.path.abspath(database), write_wait_s) if on_disk else None

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


WRITE_UPGRADE = "begin_writing"


def begin_writing(session: Session) -> None:
    """Let a request that began read-only write after all (a GET whose ranked list changed).

    On SQLite a read transaction cannot safely turn into a write one (another writer may hold the
    lock), so the session dependency of a read-only request leaves here a hook that ends the read
    transaction and starts one that queues for the write lock like any writing request. Elsewhere
    (PostgreSQL, a request that declared its write, a test's shared session) there is nothing to do.
    """
    upgrade = session.info.pop(WRITE_UPGRADE, None)
    if upgrade is not None:
        upgrade()


def begin_write(session: Session) -> None:
    """Start ``session``'s transaction as a writer (on SQLite: queue for the write lock up front);
    call it before the session's first statement."""
    session.connection(execution_options={"sqlite_immediate": True})


def allow_write_upgrade(session: Session) -> None:
    """Arm ``begin_writing`` for a read-only SQLite session."""
    if session.get_bind().dialect.name != "sqlite":
        return

    def upgrade() -> None:
        session.commit()  # nothing was written: this only ends the read snapshot
        session.connection(execution_options={"sqlite_immediate": True})

    session.info[WRITE_UPGRADE] = upgrade
