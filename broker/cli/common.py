from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.orm import Session, sessionmaker

from broker.cli.output import show_progress
from broker.config import get_settings
from broker.db import make_engine, make_session_factory
from broker.models import Role
from broker.ranking.embedding import Encoder
from broker.ranking.embedding.models import load_encoder
from broker.services.principal import Principal


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session on the configured database, committed if the block succeeds."""
    settings = get_settings()
    engine = make_engine(settings.database_url, write_wait_s=settings.write_wait_seconds)
    try:
        with make_session_factory(engine)() as session:
            session.connection(execution_options={"sqlite_immediate": True})
            yield session
            session.commit()
    finally:
        engine.dispose()


@contextmanager
def session_factory() -> Iterator[sessionmaker[Session]]:
    """Sessions on the configured database, for work that commits in steps of its own (imports)."""
    settings = get_settings()
    engine = make_engine(settings.database_url, write_wait_s=settings.write_wait_seconds)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


CLI_PRINCIPAL = Principal(key_id=0, name="command line", role=Role.admin)


def configured_encoder() -> Encoder:
    settings = get_settings()
    return load_encoder(
        settings.encoder, settings.embedding_model, settings.embedding_threads, settings.embedding_precision
    )


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar driven by ``(done, total)`` callbacks, drawn on standard error.

    Standard output stays free for results (``broker import --json > report.json``); the bar is
    drawn only when standard error is a terminal, or with ``-v``.
    """
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=False,
        console=Console(stderr=True),
        disable=not show_progress(),
    ) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)
