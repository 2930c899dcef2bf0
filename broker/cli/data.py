"""Data commands: import, export, demo corpus, re-embedding."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.cli.common import (
    CLI_PRINCIPAL,
    configured_encoder,
    progress_bar,
    session_factory,
    session_scope,
)
from broker.errors import BrokerError
from broker.models import KnowledgeRequest, Offer
from broker.ranking.embedding import store as embeddings
from broker.ranking.engine import MatchEngine
from broker.schemas.bulk import ImportReport
from broker.services.bulk import demo, exports, formats, ingest
from broker.services.understanding import understand_items

demo_app = typer.Typer(no_args_is_help=True, help="The demo corpus (data/demo).")


def import_file(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV, JSON or NDJSON file"),
    kind: str | None = typer.Option(
        None, help="institutions, offers or requests (default: from the file name)"
    ),
    fmt: formats.Format | None = typer.Option(None, "--format", help="Default: from the file extension"),
    partial: bool = typer.Option(False, help="Import the good rows even if some are bad"),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
) -> None:
    """Import institutions, offers or requests; all or nothing unless --partial."""
    try:
        records = formats.parse(
            path.read_text(encoding="utf-8"),
            fmt or formats.guess_format(path.name),
            kind or formats.guess_kind(path.name),
        )
        # Embeds ahead, outside the write transaction: a running server keeps writing meanwhile.
        with session_factory() as factory, progress_bar("embedding") as progress:
            report = ingest.run_import(
                factory,
                principal=CLI_PRINCIPAL,
                records=records,
                encoder=configured_encoder(),
                partial=partial,
                observe=lambda counts: progress(counts.texts_embedded, counts.texts_to_embed),
            )
    except BrokerError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    except UnicodeDecodeError:
        typer.echo("error: the file is not UTF-8 text", err=True)
        raise typer.Exit(2) from None
    _print_report(report, as_json)
    if report.problems and not report.applied:
        raise typer.Exit(1)


def export_file(
    kind: str = typer.Option(..., help="institutions, offers or requests"),
    fmt: formats.Format = typer.Option(formats.Format.json, "--format"),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="File to write (default: standard output)"
    ),
) -> None:
    """Export records in the same formats the importer reads."""
    if kind not in formats.KINDS:
        typer.echo(f"error: kind must be one of {', '.join(formats.KINDS)}", err=True)
        raise typer.Exit(2)
    with session_scope() as session:
        text = exports.export_records(session, principal=CLI_PRINCIPAL, kind=kind, fmt=fmt)
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        typer.echo(text, nl=False)


def reindex(batch_size: int = typer.Option(64, min=1, help="Texts per encoder call")) -> None:
    """Embed every offer and request with the configured model (after a model change; skips stored
    ones) and refresh their suggested codes and detected languages."""
    encoder = configured_encoder()
    with session_factory() as factory:  # embed first, outside the write transaction
        with factory() as session:
            texts = [embeddings.item_text(i) for i in session.scalars(select(Offer))]
            texts += [embeddings.item_text(i) for i in session.scalars(select(KnowledgeRequest))]
        with progress_bar(f"embedding with {encoder.model_id}") as progress:
            ingest.embed_ahead(
                factory, encoder=encoder, texts=texts, batch_size=batch_size, progress=progress
            )
    with session_scope() as session:
        items = [*session.scalars(select(Offer)), *session.scalars(select(KnowledgeRequest))]
        understand_items(session, encoder=encoder, items=items)  # every text is embedded by now
        changed = [item for item in items if session.is_modified(item)]  # the flush hook stamps them
    typer.echo(
        f"{len(items)} offers and requests have embeddings under {encoder.model_id}; "
        f"{len(changed)} got new suggestions or a new detected language"
    )


@demo_app.command("load")
def demo_load(
    if_empty: bool = typer.Option(False, help="Only if the database has no institutions yet"),
) -> None:
    """Load the demo corpus (idempotent)."""
    with session_scope() as session:
        if if_empty and demo.has_data(session):
            typer.echo("the database has data already; demo corpus not loaded")
            return
        report, ranked = _load_and_rank(session)
    _print_report(report, as_json=False)
    typer.echo(f"ranked the offers for {ranked} open requests")


def _load_and_rank(session: Session) -> tuple[ImportReport, int]:
    encoder = configured_encoder()
    with progress_bar("embedding the demo corpus") as progress:
        report = demo.load_demo(session, principal=CLI_PRINCIPAL, encoder=encoder, progress=progress)
    return report, demo.rank_open_requests(session, engine=MatchEngine(encoder), principal=CLI_PRINCIPAL)


@demo_app.command("reset")
def demo_reset() -> None:
    """Delete the demo records (with their matches and reviews) and load them afresh."""
    with session_scope() as session:
        demo.remove_demo(session)
        report, ranked = _load_and_rank(session)
    _print_report(report, as_json=False)
    typer.echo(f"ranked the offers for {ranked} open requests")


def _print_report(report: ImportReport, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.model_dump(), indent=2))
        return
    for outcome in ("created", "updated", "unchanged"):
        counts = getattr(report, outcome)
        if counts:
            typer.echo(f"{outcome}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items()))
    for p in report.problems:
        typer.echo(f"{p.kind} line {p.line} ({p.external_id or '-'}): {p.field}: {p.reason}", err=True)
    if report.problems and not report.applied:
        typer.echo(
            f"{report.problem_count} problems (the first {len(report.problems)} listed); nothing was "
            "imported (use --partial to import the good rows)",
            err=True,
        )
