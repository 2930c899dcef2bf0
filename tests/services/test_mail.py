"""Optional mail of one-time links: sent through the configured SMTP server, or not at all."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr

from broker.config import Settings
from broker.models import TokenPurpose, User
from broker.services import links, mail
from broker.services.users import IssuedLink


class RecordingSmtp:
    """Stands in for the SMTP server's connection; records what the client does."""

    sent: ClassVar[list[EmailMessage]] = []
    calls: ClassVar[list[tuple[str, Any]]] = []
    fail = False

    def __init__(self, host: str, port: int, timeout: float) -> None:
        RecordingSmtp.calls.append(("connect", (host, port, timeout)))
        if RecordingSmtp.fail:
            raise ConnectionRefusedError("no server")

    def __enter__(self) -> RecordingSmtp:
        return self

    def __exit__(self, *exc: object) -> None:
        RecordingSmtp.calls.append(("quit", None))

    def starttls(self) -> None:
        RecordingSmtp.calls.append(("starttls", None))

    def login(self, user: str, password: str) -> None:
        RecordingSmtp.calls.append(("login", (user, password)))

    def send_message(self, message: EmailMessage) -> None:
        RecordingSmtp.sent.append(message)


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> type[RecordingSmtp]:
    RecordingSmtp.sent, RecordingSmtp.calls, RecordingSmtp.fail = [], [], False
    monkeypatch.setattr(smtplib, "SMTP", RecordingSmtp)
    return RecordingSmtp


def _issued(purpose: TokenPurpose) -> IssuedLink:
    user = User(email="amina@health.go.ke", display_name="Amina", role="staff")
    return IssuedLink(user=user, token="tok123", purpose=purpose, expires_at=None)  # type: ignore[arg-type]


def test_without_an_smtp_host_nothing_is_sent(smtp: type[RecordingSmtp]) -> None:
    assert links.mail_link(Settings(encoder="hashing"), _issued(TokenPurpose.invite)) is False
    assert smtp.calls == [] and smtp.sent == []


def test_a_link_is_mailed_over_starttls_with_login(smtp: type[RecordingSmtp]) -> None:
    settings = Settings(
        encoder="hashing",
        smtp_host="mail.agency.org",
        smtp_username="broker",
        smtp_password=SecretStr("pw"),
        smtp_from="broker@agency.org",
        public_base_url="https://broker.agency.org",
    )
    assert links.mail_link(settings, _issued(TokenPurpose.reset)) is True
    assert [name for name, _ in smtp.calls] == ["connect", "starttls", "login", "quit"]
    assert smtp.calls[0][1][:2] == ("mail.agency.org", 587) and smtp.calls[2][1] == ("broker", "pw")
    (message,) = smtp.sent
    assert (message["To"], message["From"]) == ("amina@health.go.ke", "broker@agency.org")
    assert "Reset" in message["Subject"]
    assert "https://broker.agency.org/ui/reset/tok123" in message.get_content()


def test_a_mail_server_that_is_down_costs_the_mail_not_the_request(smtp: type[RecordingSmtp]) -> None:
    smtp.fail = True
    settings = Settings(encoder="hashing", smtp_host="mail.agency.org")
    assert mail.send_link(settings, to="a@b.org", subject="s", intro="i", link="l") is False
