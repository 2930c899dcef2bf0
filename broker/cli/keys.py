from __future__ import annotations

from datetime import UTC, datetime, timedelta

import typer

from broker.cli.common import session_scope
from broker.config import get_settings
from broker.errors import BrokerError
from broker.models import Role
from broker.services import keys as service

app = typer.Typer(no_args_is_help=True, help="API keys.")


@app.command("create")
def create(
    role: Role = typer.Option(..., help="admin, staff, broker or institution"),
    name: str = typer.Option(..., help="Who or what the key is for"),
    institution: int | None = typer.Option(None, help="Institution id (role institution only)"),
    expires_days: int | None = typer.Option(None, min=1, help="Expire after this many days"),
) -> None:
    """Create a key; the key itself is the last line of output."""
    expires = datetime.now(UTC) + timedelta(days=expires_days) if expires_days else None
    try:
        with session_scope() as session:
            issued = service.issue_key(
                session, name=name, role=role, institution_id=institution, expires_at=expires
            )
            key_id = issued.row.id
    except BrokerError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"created {role.value} key {key_id} ({name}); it is shown once:")
    typer.echo(issued.key)


@app.command("list")
def list_keys() -> None:
    """List keys (never their secrets)."""
    with session_scope() as session:
        for k in service.list_keys(session):
            state = "revoked" if k.revoked_at else "active"
            typer.echo(f"{k.id}\t{k.prefix}…\t{k.role}\t{k.institution_id or '-'}\t{state}\t{k.name}")


@app.command("revoke")
def revoke(key_id: int) -> None:
    """Revoke a key at once."""
    try:
        with session_scope() as session:
            service.revoke_key(session, key_id=key_id)
    except BrokerError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"revoked key {key_id}")


@app.command("bootstrap")
def bootstrap() -> None:
    """Create and print a first admin key if the database has no active admin key (used by `make run`)."""
    with session_scope() as session:
        if service.count_active_admin_keys(session):
            typer.echo(
                "an admin key exists already (create more with: broker keys create --role admin --name NAME)"
            )
            return
        issued = service.issue_key(session, name="first admin", role=Role.admin)
    typer.echo("=" * 72)
    typer.echo("Your admin API key (shown once; keep it):")
    typer.echo(f"    {issued.key}")
    settings = get_settings()
    typer.echo(
        f"Use it as: curl -H 'Authorization: Bearer <key>' http://{settings.host}:{settings.port}/api/v1/me"
    )
    typer.echo("=" * 72)
