"""``broker users``, run as an operator would, against a fresh SQLite file."""

from __future__ import annotations

from sqlalchemy import select

from broker.db import make_engine, make_session_factory
from broker.models import TokenPurpose, User
from broker.services import users
from tests.cli.test_cli import broker


def test_invite_prints_a_working_link_then_list_reset_and_disable(tmp_sqlite_url: str) -> None:
    assert broker(tmp_sqlite_url, "db", "upgrade").returncode == 0
    invited = broker(tmp_sqlite_url, "users", "invite", "Ada@Agency.org", "--role", "staff", "--name", "Ada")
    assert invited.returncode == 0, invited.stderr
    link = invited.stdout.strip().splitlines()[-1]
    assert link.startswith("http://127.0.0.1:8000/ui/invite/")
    engine = make_engine(tmp_sqlite_url)
    try:
        with make_session_factory(engine)() as session:
            token = link.rsplit("/", 1)[1]
            users.set_password_from_link(
                session, token=token, purpose=TokenPurpose.invite, password="a fine long password"
            )
            session.commit()
        listed = broker(tmp_sqlite_url, "users", "list")
        assert listed.returncode == 0 and "ada@agency.org\tstaff\t-\tactive\t-\tAda" in listed.stdout
        reset = broker(tmp_sqlite_url, "users", "reset-link", "ADA@agency.org")
        assert reset.returncode == 0 and reset.stdout.strip().splitlines()[-1].startswith(
            "http://127.0.0.1:8000/ui/reset/"
        )
        assert broker(tmp_sqlite_url, "users", "disable", "ada@agency.org").returncode == 0
        with make_session_factory(engine)() as session:
            user = session.scalar(select(User).where(User.email == "ada@agency.org"))
            assert user is not None and user.disabled
    finally:
        engine.dispose()


def test_invite_refuses_bad_input_with_a_clear_error(tmp_sqlite_url: str) -> None:
    broker(tmp_sqlite_url, "db", "upgrade")
    missing = broker(
        tmp_sqlite_url, "users", "invite", "x@y.org", "--role", "institution", "--institution", "9"
    )
    assert missing.returncode == 2 and "institution 9 not found" in missing.stderr
    bad = broker(tmp_sqlite_url, "users", "invite", "not-an-email", "--role", "staff")
    assert bad.returncode == 2 and "not a valid email address" in bad.stderr
    unknown = broker(tmp_sqlite_url, "users", "reset-link", "nobody@y.org")
    assert unknown.returncode == 2 and "no account for nobody@y.org" in unknown.stderr


def test_links_use_the_public_base_url(tmp_sqlite_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    broker(tmp_sqlite_url, "db", "upgrade")
    monkeypatch.setenv("BROKER_PUBLIC_BASE_URL", "https://broker.agency.org/")
    invited = broker(tmp_sqlite_url, "users", "invite", "b@agency.org", "--role", "broker")
    assert invited.stdout.strip().splitlines()[-1].startswith("https://broker.agency.org/ui/invite/")
