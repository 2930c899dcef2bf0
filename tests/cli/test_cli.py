"""The console script, run as a user would run it, against a fresh SQLite file."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

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


def test_import_progress_goes_to_stderr_and_json_stdout_stays_json(
    tmp_sqlite_url: str, tmp_path: Path
) -> None:
    """With standard error on a terminal (where a bar is drawn), the bar is there and only there."""
    broker(tmp_sqlite_url, "db", "upgrade")
    institutions = [
        {"external_id": "cli-i", "name": "CLI", "country": "BRA", "kind": "ngo", "languages": ["pt"]}
    ]
    offers = [
        {"external_id": f"cli-o{i}", "institution": "cli-i", "title": f"Offer {i}",
         "description": f"Family farms feed schools, case {i}.", "sectors": ["11220"],
         "modalities": ["study_tour"]}
        for i in range(5)
    ]  # fmt: skip
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"institutions": institutions, "offers": offers}), encoding="utf-8")
    parent, child = pty.openpty()
    env = {**os.environ, "BROKER_DATABASE_URL": tmp_sqlite_url, "COLUMNS": "100"}
    process = subprocess.Popen(
        [sys.executable, "-m", "broker", "import", str(path), "--json"],
        env=env, stdout=subprocess.PIPE, stderr=child, text=True,
    )  # fmt: skip
    os.close(child)
    stdout, _ = process.communicate(timeout=120)
    stderr = b""
    while True:
        try:
            chunk = os.read(parent, 65536)
        except OSError:  # the terminal's other end is closed
            break
        if not chunk:
            break
        stderr += chunk
    os.close(parent)
    assert process.returncode == 0, stderr
    assert json.loads(stdout)["created"] == {"institutions": 1, "offers": 5}
    assert b"embedding" in stderr and b"5/5" in stderr
    reindexed = broker(tmp_sqlite_url, "reindex")
    assert reindexed.returncode == 0, reindexed.stderr
    assert reindexed.stdout.startswith("5 offers and requests have embeddings under test-hashing-v1")
