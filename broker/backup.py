"""Consistent online copies of a SQLite database, taken with SQLite's backup API.

The copy is one snapshot: every transaction committed before it started is in it, none that was
half done. Writers go on meanwhile (WAL mode: a reader does not block them). PostgreSQL has its own
tools (``pg_dump``), shown in the README.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from broker.db import is_sqlite
from broker.errors import InvalidInput


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    integrity: str


def backup_sqlite(database_url: str, destination: Path) -> BackupResult:
    """Copy the SQLite database at ``database_url`` to ``destination`` (which must not exist yet)."""
    if not is_sqlite(database_url):
        raise InvalidInput(
            "broker db backup copies SQLite databases; for PostgreSQL use pg_dump (see README)"
        )
    source_path = make_url(database_url).database
    if not source_path or source_path == ":memory:" or not Path(source_path).exists():
        raise InvalidInput(f"no SQLite database file at {source_path!r}")
    if destination.exists():
        raise InvalidInput(f"{destination} exists already: name a new file")
    partial = destination.with_name(destination.name + ".partial")
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(partial)
    try:
        source.backup(target)  # all pages in one step: a single consistent snapshot
        integrity = str(target.execute("PRAGMA integrity_check").fetchone()[0])
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        target.close()
        source.close()
    partial.rename(destination)  # a copy that is there is a whole copy
    return BackupResult(destination, destination.stat().st_size, integrity)
