"""Quality commands: evaluate the ranking on the dev set, learn weights from staff decisions."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer

from broker.cli.common import CLI_PRINCIPAL, configured_encoder, session_scope
from broker.errors import BrokerError
from broker.services import evaluation, learning, profiles
from broker.services.engine import MatchEngine

COLUMNS = ("hit@1", "hit@3", "hit@10", "mrr", "ndcg@10")


def eval_command(
    profile: str | None = typer.Option(None, help="Scoring profile (default: the default one)"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
) -> None:
    """Ranking quality on data/eval/dev.json: full score vs TF-IDF and embedding baselines, and ablation."""
    engine = MatchEngine(configured_encoder())
    try:
        with session_scope() as session:
            chosen = profiles.get_profile(session, name=profile)
            report = evaluation.evaluate(session, engine=engine, weights=chosen.weights)
    except BrokerError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(
            json.dumps(
                {**report.as_dict(), "profile_name": chosen.name, "model": engine.encoder.model_id}, indent=2
            )
        )
        return
    typer.echo(f"{report.requests} judged requests, profile '{chosen.name}', model {engine.encoder.model_id}")
    typer.echo(_table(report.methods, "method"))
    typer.echo(_table(report.ablation, "ablation (full score minus one factor)"))


def learn_command(
    name: str = typer.Option("learned", help="Name of the profile to save"),
    base: str | None = typer.Option(None, help="Profile to beat (default: the default one)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Fit profile weights to accepted/rejected matches; saved only if better on held-out decisions."""
    engine = MatchEngine(configured_encoder())
    try:
        with session_scope() as session:
            report = learning.learn_profile(
                session, principal=CLI_PRINCIPAL, engine=engine, base=base, name=name
            )
    except BrokerError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(asdict(report), indent=2))
        return
    typer.echo(f"{report.decisions} decisions ({report.accepted} accepted, {report.rejected} rejected)")
    typer.echo(
        f"held-out accuracy: current {report.current_accuracy:.3f}, learned {report.learned_accuracy:.3f}, "
        f"logistic model {report.logistic_accuracy:.3f}"
    )
    typer.echo("learned weights: " + ", ".join(f"{k} {v:.3f}" for k, v in report.learned.items()))
    if report.eval_before:
        typer.echo(_table({"before": report.eval_before, "after": report.eval_after}, "dev set"))
    typer.echo(
        f"saved as profile '{report.saved_as}'"
        if report.saved_as
        else "not saved: no better than the current profile"
    )


def _table(rows: dict[str, dict[str, float]], title: str) -> str:
    width = max([len(title), *map(len, rows)]) + 2
    lines = [title.ljust(width) + "".join(c.rjust(9) for c in COLUMNS)]
    lines += [name.ljust(width) + "".join(f"{m[c]:9.3f}" for c in COLUMNS) for name, m in rows.items()]
    return "\n".join(lines)
