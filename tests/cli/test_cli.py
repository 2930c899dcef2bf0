"""The console script, run as a user would run it, against a fresh SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from broker.db import make_engine, make_session_factory
from broker.models import ApiKey, Role
from broker.services.keys import hash_key
from broker.services.principal import Principal

CLI_LIKE = Principal(key_id=0, name="test", role=Role.admin)


def broker(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BROKER_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "broker", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_upgrade_then_keys_create_prints_the_key_last(tmp_sqlite_url: str) -> None:
    assert broker(tmp_sqlite_url, "db", "upgrade").returncode == 0
    result = broker(tmp_sqlite_url, "keys", "create", "--role", "staff", "--name", "Reviewer")
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("kb_")
    engine = make_engine(tmp_sqlite_url)
    with make_session_factory(engine)() as session:
        row = session.scalar(select(ApiKey))
        assert row is not None and row.role == "staff"
        assert row.key_hash == hash_key(key) and key not in (row.key_hash, row.prefix)
    engine.dispose()


def test_institution_key_needs_an_existing_institution(tmp_sqlite_url: str) -> None:
    broker(tmp_sqlite_url, "db", "upgrade")
    result = broker(
        tmp_sqlite_url, "keys", "create", "--role", "institution", "--name", "x", "--institution", "9"
    )
    assert result.returncode == 2 and "institution 9 not found" in result.stderr


def test_bootstrap_prints_an_admin_key_once_and_revoke_works(tmp_sqlite_url: str) -> None:
    broker(tmp_sqlite_url, "db", "upgrade")
    first = broker(tmp_sqlite_url, "keys", "bootstrap")
    assert "kb_" in first.stdout
    second = broker(tmp_sqlite_url, "keys", "bootstrap")
    assert "kb_" not in second.stdout and "exists already" in second.stdout
    listed = broker(tmp_sqlite_url, "keys", "list").stdout
    assert "admin" in listed and "active" in listed
    last = broker(tmp_sqlite_url, "keys", "revoke", "1")
    assert last.returncode == 2 and "last usable admin key" in last.stderr
    assert broker(tmp_sqlite_url, "keys", "create", "--role", "admin", "--name", "second").returncode == 0
    assert broker(tmp_sqlite_url, "keys", "revoke", "1").returncode == 0
    assert "revoked" in broker(tmp_sqlite_url, "keys", "list").stdout


def test_taxonomy_stats_prints_counts(tmp_sqlite_url: str) -> None:
    result = broker(tmp_sqlite_url, "taxonomy", "stats")
    assert result.returncode == 0, result.stderr
    assert "modalities" in result.stdout and "14" in result.stdout
