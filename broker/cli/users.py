"""``broker users``: invite people, print their one-time links, list and disable accounts.

No mail server is assumed: the link is printed (and mailed too when ``BROKER_SMTP_HOST`` is set).
"""

from __future__ import annotations

from datetime import timedelta
from typing import NoReturn

import typer
from sqlalchemy.orm import Session

from broker.cli.common import CLI_PRINCIPAL, session_scope
from broker.config import get_settings
from broker.errors import BrokerError, NotFound
from broker.models import Role, User
from broker.services import links
from broker.services import users as service

app = typer.Typer(no_args_is_help=True, help="People's accounts (sign in with email and password).")


@app.command("invite")
def invite(
    email: str = typer.Argument(..., help="The person's email address"),
    role: Role = typer.Option(..., help="admin, staff, broker or institution"),
    institution: int | None = typer.Option(None, help="Institution id (role institution only)"),
    name: str | None = typer.Option(None, help="Display name (default: the email)"),
    institution_admin: bool = typer.Option(
        False, "--institution-admin", help="May invite and manage their institution's accounts"
    ),
) -> None:
    """Create an account and print its one-time invitation link (the last line of output)."""
    settings = get_settings()
    try:
        with session_scope() as session:
            issued = service.invite(
                session,
                actor=CLI_PRINCIPAL,
                email=email,
                display_name=name or email,
                role=role,
                institution_id=institution,
                institution_admin=institution_admin,
                lifetime=timedelta(hours=settings.invite_lifetime_hours),
            )
            url, user_id, expires = links.link_url(settings, issued), issued.user.id, issued.expires_at
    except BrokerError as exc:
        _fail(exc)
    mailed = links.mail_link(settings, issued)
    typer.echo(f"invited user {user_id} ({email.strip().lower()}, {role.value}); the link works once until "
               f"{expires:%Y-%m-%d %H:%M} UTC{' and was mailed' if mailed else ''}:")  # fmt: skip
    typer.echo(url)


@app.command("reset-link")
def reset_link(email: str = typer.Argument(..., help="The account's email address")) -> None:
    """Print a one-time password reset link (an invitation link if no password was set yet)."""
    settings = get_settings()
    try:
        with session_scope() as session:
            user = _find(session, email)
            issued = service.reset_link(
                session,
                actor=CLI_PRINCIPAL,
                user_id=user.id,
                lifetime=timedelta(minutes=settings.reset_lifetime_minutes),
            )
            url, expires = links.link_url(settings, issued), issued.expires_at
    except BrokerError as exc:
        _fail(exc)
    mailed = links.mail_link(settings, issued)
    typer.echo(
        f"the link works once until {expires:%Y-%m-%d %H:%M} UTC{' and was mailed' if mailed else ''}:"
    )
    typer.echo(url)


@app.command("list")
def list_users() -> None:
    """List accounts: id, email, role, institution, state, second factor, name."""
    with session_scope() as session:
        for u in service.list_users(session, actor=CLI_PRINCIPAL):
            state = "disabled" if u.disabled else ("active" if u.has_password else "invited")
            totp = "totp" if u.totp_enabled else "-"
            admin = "*" if u.is_institution_admin else ""
            institution = f"{u.institution_id or '-'}{admin}"
            typer.echo("\t".join([str(u.id), u.email, u.role, institution, state, totp, u.display_name]))


@app.command("disable")
def disable(email: str = typer.Argument(..., help="The account's email address")) -> None:
    """Disable an account: it cannot sign in and its sessions end at once."""
    _set_disabled(email, disabled=True)
    typer.echo(f"disabled {email.strip().lower()}")


@app.command("enable")
def enable(email: str = typer.Argument(..., help="The account's email address")) -> None:
    """Enable a disabled account again."""
    _set_disabled(email, disabled=False)
    typer.echo(f"enabled {email.strip().lower()}")


def _set_disabled(email: str, *, disabled: bool) -> None:
    try:
        with session_scope() as session:
            user = _find(session, email)
            service.set_disabled(session, actor=CLI_PRINCIPAL, user_id=user.id, disabled=disabled)
    except BrokerError as exc:
        _fail(exc)


def _find(session: Session, email: str) -> User:
    user = service.find_by_email(session, email=email)
    if user is None:
        raise NotFound(f"no account for {email.strip().lower()}")
    return user


def _fail(exc: BrokerError) -> NoReturn:
    typer.echo(f"error: {exc.detail}", err=True)
    raise typer.Exit(2) from None
