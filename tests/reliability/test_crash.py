"""kill -9 in the middle of a write load: after a restart every acknowledged write is there, nothing
appears that was never sent, and the database is consistent."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, func, select, text

from broker.db import is_sqlite, make_engine, make_session_factory
from broker.models import Institution, KnowledgeRequest, MatchReview, Offer
from tests.reliability.server import prepare_database, running_server
from tests.reliability.test_concurrency import seed_shared_rows

CLIENTS = 8
MAX_WRITES_PER_CLIENT = 1_000  # a bound: the kill comes long before
KILL_AFTER_ACKNOWLEDGED = 200  # per round
CRASHES = 2


@dataclass
class Ledger:
    """Writes by what the client knows of them: acknowledged (2xx) or sent without an answer."""

    acknowledged: set[str] = field(default_factory=set)
    sent: set[str] = field(default_factory=set)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> int:
        with self.lock:
            return len(self.acknowledged)


def writer(
    base_url: str, key: str, client_no: int, ids: dict[str, int], ledger: Ledger, round_tag: str
) -> None:
    """Write until the server goes away; every write carries a unique tag to find it again."""
    home = ids["first_home"] + client_no
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=httpx.Timeout(30.0)) as http:
        for n in range(MAX_WRITES_PER_CLIENT):
            tag = f"{round_tag}-c{client_no}-w{n}"
            method, path, body = _write(tag, n, home, ids["match"])
            with ledger.lock:
                ledger.sent.add(tag)
            try:
                response = http.request(method, path, json=body)
            except httpx.TransportError:
                return  # the server is gone: this write's fate is unknown, and so it stays "sent"
            if response.status_code >= 300:
                ledger.refused.append(f"{tag}: {response.status_code} {response.text[:200]}")
                return
            with ledger.lock:
                ledger.acknowledged.add(tag)


def _write(tag: str, n: int, home: int, match_id: int) -> tuple[str, str, dict[str, Any]]:
    kind = n % 4
    if kind == 0:
        offer = {"external_id": tag, "institution_id": home, "title": f"Offer {tag}",
                 "description": f"Experience {tag} in revenue administration.", "sectors": ["15111"],
                 "modalities": ["expert_visit"]}  # fmt: skip
        return "POST", "/api/v1/offers", offer
    if kind == 1:
        request = {"external_id": tag, "institution_id": home, "title": f"Request {tag}",
                   "description": f"Challenge {tag} in tax policy.", "sectors": ["15111"]}  # fmt: skip
        return "POST", "/api/v1/requests", request
    if kind == 2:
        return "POST", f"/api/v1/matches/{match_id}/reviews", {"status": "shortlisted", "note": tag}
    institution = {"external_id": tag, "name": f"Institution {tag}", "country": "GHA", "kind": "ngo",
                   "languages": ["en"]}  # fmt: skip
    return "POST", "/api/v1/institutions", institution


def stored_tags(engine: Engine) -> set[str]:
    with make_session_factory(engine)() as session:
        tags: set[str] = set()
        for model in (Offer, KnowledgeRequest, Institution):
            tags.update(t for t in session.scalars(select(model.external_id)) if t)
        tags.update(n for n in session.scalars(select(MatchReview.note)) if n)
        return tags


def check_consistency(engine: Engine) -> None:
    with engine.connect() as conn:
        if is_sqlite(str(engine.url)):
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            return
        orphans = """
            SELECT (SELECT count(*) FROM offers o LEFT JOIN institutions i ON i.id = o.institution_id
                    WHERE i.id IS NULL)
                 + (SELECT count(*) FROM requests r LEFT JOIN institutions i ON i.id = r.institution_id
                    WHERE i.id IS NULL)
                 + (SELECT count(*) FROM match_reviews v LEFT JOIN matches m ON m.id = v.match_id
                    WHERE m.id IS NULL)
        """
        assert conn.execute(text(orphans)).scalar() == 0
        # Sequences are ahead of every id they handed out, so the next insert cannot collide.
        for table in ("institutions", "offers", "requests", "match_reviews"):
            sequence = f"pg_get_serial_sequence('{table}', 'id')"
            ahead = conn.execute(
                text(f"SELECT coalesce(max(id), 0) < nextval({sequence}) FROM {table}")
            ).scalar()
            assert ahead, table
    with make_session_factory(engine)() as session:
        # The catalog counter is at least every generation a row carries, and no two rows share one.
        generation = session.scalar(text("SELECT generation FROM catalog_state WHERE name = 'catalog'")) or 0
        seqs = [
            *session.scalars(select(Offer.change_seq)),
            *session.scalars(select(KnowledgeRequest.change_seq)),
        ]
        written = [s for s in seqs if s]
        assert len(written) == len(set(written)) and max(written, default=0) <= generation
        assert session.scalar(select(func.count()).select_from(Offer)) >= 1


@pytest.mark.slow
def test_kill_9_mid_load_keeps_every_acknowledged_write(
    empty_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = prepare_database(empty_database)
    engine = make_engine(empty_database)
    log_path = tmp_path / "server.log"
    try:
        ids = seed_shared_rows(engine)
        ledger = Ledger()
        for crash in range(CRASHES):
            # Each round restarts on what the last kill left behind, then is killed in turn.
            with running_server(empty_database, log_path) as server, ThreadPoolExecutor(CLIENTS) as pool:
                target = ledger.count() + KILL_AFTER_ACKNOWLEDGED
                loads = [
                    pool.submit(writer, server.base_url, key, c, ids, ledger, f"k{crash}")
                    for c in range(CLIENTS)
                ]
                deadline = time.monotonic() + 120
                while ledger.count() < target and time.monotonic() < deadline:
                    time.sleep(0.005)
                server.kill_hard()
                for load in loads:
                    load.result(timeout=60)
        assert not ledger.refused, ledger.refused[:5]
        assert len(ledger.acknowledged) >= CRASHES * KILL_AFTER_ACKNOWLEDGED
        unanswered = ledger.sent - ledger.acknowledged
        assert unanswered, "the kills came in the middle of the load: some writes had no answer"

        engine.dispose()  # reopen as a new process would, after the crash
        stored = stored_tags(engine)
        lost = ledger.acknowledged - stored
        phantoms = stored - ledger.sent
        check_consistency(engine)
        with running_server(empty_database, log_path) as restarted:
            headers = {"Authorization": f"Bearer {key}"}
            method, path, body = _write("after-restart", 0, ids["first_home"], ids["match"])
            response = httpx.request(
                method, restarted.base_url + path, json=body, headers=headers, timeout=30
            )
            assert response.status_code == 201, response.text
            again = httpx.get(f"{restarted.base_url}/api/v1/offers/{response.json()['id']}", headers=headers)
            assert again.status_code == 200

        backend = empty_database.split(":")[0].split("+")[0]
        acked = len(ledger.acknowledged)
        with capsys.disabled():
            print(
                f"\nCRASH {backend}: {CRASHES} x kill -9 under load; {acked} writes acknowledged, "
                f"{len(unanswered)} in flight at the kills; after restart {acked - len(lost)} of {acked} "
                f"acknowledged present, {len(stored & unanswered)} in-flight committed, "
                f"{len(phantoms)} phantoms"
            )
        assert not lost, f"acknowledged writes lost in the crash: {sorted(lost)[:10]}"
        assert not phantoms, f"rows nobody sent: {sorted(phantoms)[:10]}"
    finally:
        engine.dispose()
