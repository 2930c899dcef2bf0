"""``broker alerts``: deliver pending webhooks from the command line, and render the daily digest."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import typer
from sqlalchemy import select

from broker.cli.common import configured_encoder, session_factory
from broker.config import get_settings
from broker.events import digest
from broker.events.dispatcher import Dispatcher
from broker.models import Channel, Subscription
from broker.ranking.engine import MatchEngine

app = typer.Typer(no_args_is_help=True, help="Alerts: webhook delivery and the daily digest.")


@app.command("deliver")
def deliver(
    loop: bool = typer.Option(
        False, "--loop", help="Keep delivering (as a server's dispatcher does) until Ctrl-C"
    ),
) -> None:
    """Fan out pending events and post due webhooks once (or keep doing it with --loop)."""
    settings = get_settings()
    with session_factory() as factory:
        dispatcher = Dispatcher(factory, settings, engine=MatchEngine(configured_encoder()))
        try:
            while True:
                stats = dispatcher.run_once()
                posted = ", ".join(f"{n} {status}" for status, n in sorted(stats.posted.items())) or "none"
                typer.echo(
                    f"events fanned out: {stats.fanned_out}; deliveries created: "
                    f"{stats.deliveries_created}; posted: {posted}"
                )
                if not loop:
                    return
                if not stats.busy():
                    time.sleep(settings.alerts_poll_seconds)
        finally:
            dispatcher.client.close()


@app.command("digest")
def render_digest(
    subscription_id: int = typer.Option(
        None, "--subscription", help="One subscription (default: every digest one)"
    ),
    hours: float = typer.Option(24.0, "--hours", min=0.1, help="The period: this many hours up to now"),
    fmt: str = typer.Option("text", "--format", help="text or html"),
) -> None:
    """Print the digest of the last --hours for one subscription, or for every digest subscription."""
    if fmt not in ("text", "html"):
        raise typer.BadParameter("--format is text or html")
    until = datetime.now(UTC)
    since = until - timedelta(hours=hours)
    with session_factory() as factory, factory() as session:
        if subscription_id is not None:
            chosen = session.get(Subscription, subscription_id)
            if chosen is None:
                typer.echo(f"no subscription {subscription_id}", err=True)
                raise typer.Exit(1)
            subs = [chosen]
        else:
            subs = list(
                session.scalars(
                    select(Subscription)
                    .where(Subscription.channel == Channel.digest)
                    .order_by(Subscription.id)
                )
            )
        for sub in subs:
            typer.echo(digest.render(session, subscription=sub, since=since, until=until, fmt=fmt), nl=False)
