from __future__ import annotations

import typer

from broker.reference import get_reference

app = typer.Typer(no_args_is_help=True, help="Reference code lists.")


@app.command("stats")
def stats() -> None:
    """Print how many entries each reference list holds."""
    for name, count in get_reference().stats().items():
        typer.echo(f"{name:<28}{count:>6}")
