"""Optional mail for one-time links: sent through ``BROKER_SMTP_HOST`` when it is set, else not at all."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from broker.config import Settings

log = logging.getLogger(__name__)
SMTP_TIMEOUT_SECONDS = 10


def mail_enabled(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def send_link(settings: Settings, *, to: str, subject: str, intro: str, link: str) -> bool:
    """Mail a link; True if the server took it. A failure is logged, never raised: the link can
    still be printed by ``broker users reset-link`` or shown to the admin who made it."""
    if not settings.smtp_host:
        return False
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(f"{intro}\n\n{link}\n\nIf you did not expect this message, ignore it.\n")
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username and settings.smtp_password:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("could not mail a link to an account: %s", type(exc).__name__)
        return False
    return True
