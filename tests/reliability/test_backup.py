"""`broker db backup` under write load: the copy restores and holds every write acknowledged before it
began."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.reliability.server import broker_cli, prepare_database, running_server

pytestmark = pytest.mark.slow


def test_a_backup_taken_under_write_load_has_every_acknowledged_write(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    admin = prepare_database(url)
    acked: list[tuple[float, str]] = []  # (when the 201 arrived, external id)
    stop = threading.Event()

    def write(worker: int, base_url: str) -> None:
        with httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {admin}"}, timeout=30
        ) as http:
            n = 0
            while not stop.is_set():
                external_id = f"w{worker}-{n}"
                body = {"external_id": external_id, "name": external_id, "country": "GHA", "kind": "ngo",
                        "languages": ["en"]}  # fmt: skip
                if http.post("/api/v1/institutions", json=body).status_code == 201:
                    acked.append((time.monotonic(), external_id))
                n += 1

    copy = tmp_path / "copy.db"
    with running_server(url, tmp_path / "server.log") as server:
        writers = [threading.Thread(target=write, args=(i, server.base_url)) for i in range(4)]
        for thread in writers:
            thread.start()
        time.sleep(2)
        started = time.monotonic()
        out = broker_cli(url, "db", "backup", str(copy))
        time.sleep(1)
        stop.set()
        for thread in writers:
            thread.join()
    assert "integrity check: ok" in out

    before = {external_id for when, external_id in acked if when < started}
    assert len(before) > 20, f"only {len(before)} writes before the backup: no load to speak of"
    # Restore: the copy is a database the service opens as it is.
    restored = broker_cli(f"sqlite:///{copy}", "export", "--kind", "institutions", "--format", "csv")
    with sqlite3.connect(copy) as conn:
        in_copy = {row[0] for row in conn.execute("SELECT external_id FROM institutions")}
    assert before <= in_copy, f"lost {len(before - in_copy)} acknowledged writes"
    assert all(external_id in restored for external_id in before)
    print(f"{len(acked)} writes acknowledged, {len(before)} before the backup, {len(in_copy)} in the copy")


def test_backup_refuses_to_overwrite_and_explains_postgresql(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    prepare_database(url)
    existing = tmp_path / "exists.db"
    existing.write_bytes(b"keep me")
    import subprocess
    import sys

    from tests.reliability.server import REPO, broker_env

    done = subprocess.run(
        [sys.executable, "-m", "broker", "db", "backup", str(existing)],
        cwd=REPO, env=broker_env(url), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "exists already" in done.stderr
    assert existing.read_bytes() == b"keep me"
