"""Quality commands: evaluate the ranking on the dev set, learn weights from staff decisions."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer

from broker.cli.common import CLI_PRINCIPAL, configured_encoder, session_scope
from broker.errors import BrokerError
from broker.ranking.engine import MatchEngine
from broker.services import evaluation, learning, profiles, suggestion_quality

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
    typer.echo("English dev set (data/eval/dev.json), coded")
    typer.echo(_table(report.methods, "method"))
    typer.echo(_table(report.ablation, "ablation (full score minus one factor)"))
    typer.echo("\nper language (n served requests); 'free text' = codes removed, suggestions stand in")
    rows = {
        f"{language} (n={report.counts[language]}) {condition} {method}": m
        for language, table in report.by_language.items()
        for condition, methods in table.items()
        for method, m in methods.items()
    }
    typer.echo(_table(rows, "language condition method"))
    typer.echo("\nfit (top 10 of every request; thresholds " + _thresholds(report.fit["thresholds"]) + ")")
    typer.echo(_fit_table(report.fit))
    calibrated = report.fit.get("calibrated")
    typer.echo(
        "thresholds calibrate() would choose here: " + (_thresholds(calibrated) if calibrated else "none")
    )


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


def eval_suggest_command(
    folds: int = typer.Option(5, min=2, help="Folds over the demo corpus (English)"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables"),
) -> None:
    """Code suggestions: sector/SDG accuracy per language, precision of confident ones, calibration."""
    encoder = configured_encoder()
    with session_scope() as session:
        report = suggestion_quality.evaluate_suggestions(session, encoder=encoder, folds=folds)
    if as_json:
        typer.echo(json.dumps({**report.as_dict(), "model": encoder.model_id}, indent=2))
        return
    typer.echo(
        f"model {encoder.model_id}; English by {folds}-fold over data/demo, others from "
        f"data/eval/multilingual.json; confident = confidence >= {report.confident_at}"
    )
    columns = suggestion_quality.COLUMNS
    for method, languages in report.methods.items():
        typer.echo(f"\n{method}".ljust(14) + "".join(c.rjust(10) for c in columns))
        for language, m in languages.items():
            cells = [f"{int(m['n']):10d}", *(f"{m[c]:10.3f}" for c in columns[1:])]
            typer.echo(language.ljust(13) + "".join(cells))
    typer.echo(
        "\noff-topic texts with a confident sector: "
        + ", ".join(
            f"{method} {n}/{len(suggestion_quality.OFF_TOPIC)}" for method, n in report.off_topic.items()
        )
    )
    typer.echo("\nreliability (blend, five best sectors per text, all languages)")
    typer.echo("confidence        n  mean conf  precision")
    for b in report.reliability:
        typer.echo(
            f"[{b['low']:.1f}, {b['high']:.1f})  {int(b['n']):6d}  "
            f"{b['mean_confidence']:9.3f}  {b['precision']:9.3f}"
        )


def _thresholds(t: dict[str, float]) -> str:
    return (
        f"strong: relevance >= {t['strong_relevance']:.2f} and score >= {t['strong_score']:.2f}; "
        f"possible: relevance >= {t['possible_relevance']:.2f} and score >= {t['possible_score']:.2f}"
    )


FIT_COLUMNS = ("strong_items", "strong_precision", "coverage", "top1_good", "unserved_requests", "false_good")


def _fit_table(fit: dict[str, object]) -> str:
    def cell(value: object) -> str:
        if value is None:
            return "-".rjust(13)
        return f"{value:13.3f}" if isinstance(value, float) else f"{value:13d}"

    names = [k for k, v in fit.items() if isinstance(v, dict) and "coverage" in v]
    width = max(map(len, names)) + 2
    lines = [
        "slice".ljust(width)
        + "".join(
            c.rjust(13) for c in ("strong", "precision", "coverage", "top-1 good", "unserved", "false good")
        )
    ]
    for name in names:
        values: dict[str, object] = fit[name]  # type: ignore[assignment]
        lines.append(name.ljust(width) + "".join(cell(values.get(c)) for c in FIT_COLUMNS))
    return "\n".join(lines)


def _table(rows: dict[str, dict[str, float]], title: str) -> str:
    width = max([len(title), *map(len, rows)]) + 2
    lines = [title.ljust(width) + "".join(c.rjust(9) for c in COLUMNS)]
    lines += [name.ljust(width) + "".join(f"{m[c]:9.3f}" for c in COLUMNS) for name, m in rows.items()]
    return "\n".join(lines)
