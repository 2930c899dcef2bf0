from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from broker.config import get_settings
from broker.db import make_engine, make_session_factory


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session on the configured database, committed if the block succeeds."""
    engine = make_engine(get_settings().database_url)
    try:
        with make_session_factory(engine)() as session:
            session.connection(execution_options={"sqlite_immediate": True})
            yield session
            session.commit()
    finally:
        engine.dispose()
