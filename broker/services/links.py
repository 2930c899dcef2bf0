"""The addresses of one-time links, built on ``BROKER_PUBLIC_BASE_URL``, and mailing them."""

from __future__ import annotations

from broker.config import Settings
from broker.models import TokenPurpose
from broker.services import mail
from broker.services.users import IssuedLink

PATHS = {TokenPurpose.invite: "/ui/invite/", TokenPurpose.reset: "/ui/reset/"}


def link_url(settings: Settings, issued: IssuedLink) -> str:
    return settings.public_base_url.rstrip("/") + PATHS[issued.purpose] + issued.token


def mail_link(settings: Settings, issued: IssuedLink) -> bool:
    """Mail the link to its user if SMTP is configured; True if it was sent."""
    if issued.purpose == TokenPurpose.invite:
        subject = "You are invited to knowledge-broker"
        intro = "Set a password for your knowledge-broker account with this one-time link:"
    else:
        subject = "Reset your knowledge-broker password"
        intro = "Set a new password for your knowledge-broker account with this one-time link:"
    return mail.send_link(
        settings, to=issued.user.email, subject=subject, intro=intro, link=link_url(settings, issued)
    )
