from __future__ import annotations

from pathlib import Path

import typer

from broker import migrate
from broker.backup import backup_sqlite
from broker.config import get_settings
from broker.errors import BrokerError

app = typer.Typer(no_args_is_help=True, help="Database schema.")


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Apply Alembic migrations to BROKER_DATABASE_URL."""
    migrate.upgrade(get_settings().database_url, revision)
    typer.echo(f"database at revision {revision}")


@app.command("backup")
def backup(path: Path = typer.Argument(..., help="The new file to write the copy to")) -> None:
    """Copy the SQLite database to PATH while the service runs (a consistent snapshot)."""
    try:
        result = backup_sqlite(get_settings().database_url, path)
    except BrokerError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"backed up to {result.path} ({result.bytes} bytes, integrity check: {result.integrity})")
    if result.integrity != "ok":
        raise typer.Exit(1)
