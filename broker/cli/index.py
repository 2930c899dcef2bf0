"""``broker index``: snapshots of the in-memory offer index, for workers that start on a large catalogue."""

from __future__ import annotations

from pathlib import Path

import typer

from broker.cli.common import configured_encoder, session_scope
from broker.ranking.engine import MatchEngine

app = typer.Typer(no_args_is_help=True, help="The in-memory offer index.")


@app.command("snapshot")
def snapshot(path: Path = typer.Argument(..., help="Directory to write (replaced)")) -> None:
    """Build the offer index from the database and write it where BROKER_INDEX_SNAPSHOT points
    workers: each maps it (shared, copy-on-write) and reads only the offers written since."""
    engine = MatchEngine(configured_encoder())
    with session_scope() as session:
        engine.sync(session)
    generation = engine.save_snapshot(path)
    typer.echo(f"{len(engine.offers)} offers at catalogue generation {generation} written to {path}")
