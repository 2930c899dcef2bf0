from __future__ import annotations

import typer

from broker import migrate
from broker.config import get_settings

app = typer.Typer(no_args_is_help=True, help="Database schema.")


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Apply Alembic migrations to BROKER_DATABASE_URL."""
    migrate.upgrade(get_settings().database_url, revision)
    typer.echo(f"database at revision {revision}")
