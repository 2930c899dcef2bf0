"""Many clients writing at once to a real server: every acknowledged write is kept, none is invented,
no client sees a 5xx ("database is locked" included), and optimistic locking picks exactly one winner.

20 clients x 200 writes each, against ``broker serve --workers 2`` (two processes sharing the
database) on SQLite and on PostgreSQL, while bulk imports of 50 offers run one after another.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, select

from broker.db import make_engine, make_session_factory
from broker.models import Institution, KnowledgeRequest, Match, MatchReview, Offer
from broker.ranking.catalog import catalog_generation
from tests.factories import make_institution, make_offer, make_request
from tests.reliability.server import prepare_database, running_server

CLIENTS = 20
WRITES_PER_CLIENT = 200
READ_EVERY = 10  # one read after every few writes, so readers and writers meet
TIMEOUT = httpx.Timeout(60.0)


@dataclass
class Acknowledged:
    """What the server said yes (2xx) to, per client; anything else is kept as a failure."""

    institutions: set[str] = field(default_factory=set)
    offers: set[str] = field(default_factory=set)
    requests: set[str] = field(default_factory=set)
    reviews: set[str] = field(default_factory=set)
    edited: dict[int, tuple[int, str]] = field(default_factory=dict)  # offer id -> (version, title)
    failures: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    def merge(self, other: Acknowledged) -> None:
        for name in ("institutions", "offers", "requests", "reviews"):
            getattr(self, name).update(getattr(other, name))
        self.edited.update(other.edited)
        self.failures += other.failures
        self.statuses.update(other.statuses)


def seed_shared_rows(engine: Engine) -> dict[str, int]:
    """One institution per client and a match that every client reviews (rows the API cannot create)."""
    with make_session_factory(engine)() as session:
        homes = [
            make_institution(session, name=f"Client {c}", country="KEN", languages=["en"])
            for c in range(CLIENTS)
        ]
        offer = make_offer(session, homes[0])
        request = make_request(session, homes[1])
        match = Match(request_id=request.id, offer_id=offer.id, profile="default", score=0.5, rank=1)
        session.add(match)
        session.commit()
        return {"first_home": homes[0].id, "match": match.id, "offer": offer.id}


def client_load(base_url: str, key: str, client_no: int, ids: dict[str, int]) -> Acknowledged:
    """One client's 200 writes (offers, requests, edits, reviews, institutions), in a fixed order."""
    acked = Acknowledged()
    home = ids["first_home"] + client_no
    latest: dict[str, Any] | None = None
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=TIMEOUT) as http:

        def call(method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response | None:
            try:
                response = http.request(method, path, json=body)
            except httpx.HTTPError as exc:
                acked.failures.append(f"{method} {path}: {exc!r}")
                return None
            acked.statuses[response.status_code] += 1
            if response.status_code >= 300:
                acked.failures.append(f"{method} {path}: {response.status_code} {response.text[:300]}")
                return None
            return response

        for n in range(WRITES_PER_CLIENT):
            tag = f"c{client_no}-w{n}"
            # The same descriptions from every client at once: shared embeddings must not clash.
            text = f"Shared experience {n % 7} in public financial management and tax administration."
            kind = n % 5
            if kind == 0 or (kind == 2 and latest is None):
                body = {
                    "external_id": f"o-{tag}",
                    "institution_id": home,
                    "title": f"Offer {tag}",
                    "description": text,
                    "sectors": ["15111"],
                    "modalities": ["expert_visit"],
                }
                if (response := call("POST", "/api/v1/offers", body)) is not None:
                    acked.offers.add(f"o-{tag}")
                    latest = response.json()
            elif kind == 1:
                body = {
                    "external_id": f"r-{tag}",
                    "institution_id": home,
                    "title": f"Request {tag}",
                    "description": text,
                    "sectors": ["15111"],
                    "budget_usd": n,
                }
                if call("POST", "/api/v1/requests", body) is not None:
                    acked.requests.add(f"r-{tag}")
            elif kind == 2:
                assert latest is not None
                body = {"version": latest["version"], "title": f"Edited {tag}"}
                if (response := call("PATCH", f"/api/v1/offers/{latest['id']}", body)) is not None:
                    latest = response.json()
                    acked.edited[latest["id"]] = (latest["version"], latest["title"])
            elif kind == 3:
                body = {"status": "shortlisted", "note": f"review {tag}"}
                if call("POST", f"/api/v1/matches/{ids['match']}/reviews", body) is not None:
                    acked.reviews.add(f"review {tag}")
            else:
                body = {
                    "external_id": f"i-{tag}",
                    "name": f"Institution {tag}",
                    "country": "GHA",
                    "kind": "ngo",
                    "languages": ["en"],
                }
                if call("POST", "/api/v1/institutions", body) is not None:
                    acked.institutions.add(f"i-{tag}")
            if n % READ_EVERY == READ_EVERY - 1:
                call("GET", f"/api/v1/offers?institution_id={home}&limit=5")
    return acked


IMPORTED_PER_CALL = 50


def import_load(base_url: str, key: str, stop: threading.Event) -> tuple[set[str], list[str]]:
    """Bulk imports one after another (a pause between them keeps within the per-key limit)."""
    imported: set[str] = set()
    failures: list[str] = []
    institution = {"external_id": "imp-home", "name": "Importer", "country": "BRA", "kind": "ngo",
                   "languages": ["pt"]}  # fmt: skip
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}, timeout=TIMEOUT) as http:
        n = 0
        while not stop.is_set():
            ids = [f"imp-{n}-{k}" for k in range(IMPORTED_PER_CALL)]
            offers = [
                {
                    "external_id": i,
                    "institution": "imp-home",
                    "title": f"Imported offer {i}",
                    "description": "Imported while twenty clients write.",
                    "sectors": ["11220"],
                    "modalities": ["study_tour"],
                }
                for i in ids
            ]
            try:
                response = http.post(
                    "/api/v1/import?format=json", json={"institutions": [institution], "offers": offers}
                )
                if response.status_code == 200:
                    imported.update(ids)
                else:
                    failures.append(f"import {n}: {response.status_code} {response.text[:200]}")
            except httpx.HTTPError as exc:
                failures.append(f"import {n}: {type(exc).__name__}")
            n += 1
            stop.wait(2.5)
    return imported, failures


def check_everything_kept(engine: Engine, acked: Acknowledged) -> None:
    """The database holds exactly the acknowledged writes: none lost, none extra."""
    with make_session_factory(engine)() as session:

        def external_ids(model: Any, prefix: str) -> set[str]:
            rows = session.scalars(select(model.external_id).where(model.external_id.like(f"{prefix}-%")))
            return set(rows)

        assert external_ids(Offer, "o") == acked.offers
        assert external_ids(KnowledgeRequest, "r") == acked.requests
        assert external_ids(Institution, "i") == acked.institutions
        notes = set(session.scalars(select(MatchReview.note).where(MatchReview.note.like("review %"))))
        assert notes == acked.reviews
        for offer_id, (version, title) in acked.edited.items():
            offer = session.get(Offer, offer_id)
            assert offer is not None and (offer.version, offer.title) == (version, title)
        match = session.scalar(select(Match))
        assert match is not None and match.version == 1 + len(acked.reviews)
        # Every transaction that wrote to the catalogue advanced its generation (rows written by
        # one transaction, e.g. an import, share it), and no row is stamped beyond the counter:
        # in-memory indexes read the rows stamped after the generation they last saw.
        generation = catalog_generation(session)
        creates = len(acked.offers) + len(acked.requests) + len(acked.institutions)
        assert generation >= creates
        seqs = [
            *session.scalars(select(Offer.change_seq)),
            *session.scalars(select(KnowledgeRequest.change_seq)),
            *session.scalars(select(Institution.change_seq)),
        ]
        assert all(0 < s <= generation for s in seqs)


def race_on_one_version(base_url: str, key: str, ids: dict[str, int]) -> None:
    """Every client sends the same version at the same moment: one 2xx, a 409 for each of the rest."""
    headers = {"Authorization": f"Bearer {key}"}
    offer, match = f"/api/v1/offers/{ids['offer']}", f"/api/v1/matches/{ids['match']}"
    cases = [
        (offer, "PATCH", offer, lambda n: {"title": f"Edit {n}"}, 200),
        (offer, "PATCH", offer, lambda n: {"title": f"Again {n}"}, 200),
        (match, "POST", f"{match}/reviews", lambda n: {"status": "accepted", "note": f"race {n}"}, 201),
    ]
    for read_path, method, write_path, make_body, success in cases:
        version = httpx.get(base_url + read_path, headers=headers, timeout=TIMEOUT).json()["version"]
        bodies = [{**make_body(n), "version": version} for n in range(CLIENTS)]
        statuses = send_all_at_once(base_url, headers, method, write_path, bodies)
        assert statuses == Counter({success: 1, 409: CLIENTS - 1}), (method, write_path, statuses)
        after = httpx.get(base_url + read_path, headers=headers, timeout=TIMEOUT).json()
        assert after["version"] == version + 1


def send_all_at_once(
    base_url: str, headers: dict[str, str], method: str, path: str, bodies: list[dict[str, Any]]
) -> Counter[int]:
    start = threading.Barrier(len(bodies))

    def send(body: dict[str, Any]) -> int:
        with httpx.Client(base_url=base_url, headers=headers, timeout=TIMEOUT) as http:
            start.wait(timeout=30)
            return http.request(method, path, json=body).status_code

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return Counter(pool.map(send, bodies))


@pytest.mark.slow
def test_parallel_writes_are_all_kept_and_same_version_edits_have_one_winner(
    empty_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = prepare_database(empty_database)
    engine = make_engine(empty_database)
    try:
        ids = seed_shared_rows(engine)
        with running_server(empty_database, tmp_path / "server.log", workers=2) as server:
            started = time.perf_counter()
            stop_importing = threading.Event()
            with ThreadPoolExecutor(max_workers=CLIENTS + 1) as pool:
                importer = pool.submit(import_load, server.base_url, key, stop_importing)
                loads = [pool.submit(client_load, server.base_url, key, c, ids) for c in range(CLIENTS)]
                results = [load.result(timeout=900) for load in loads]
                stop_importing.set()
                imported, import_failures = importer.result(timeout=120)
            elapsed = time.perf_counter() - started
            acked = Acknowledged()
            for result in results:
                acked.merge(result)
            check_everything_kept(engine, acked)
            with make_session_factory(engine)() as session:
                stored = set(
                    session.scalars(select(Offer.external_id).where(Offer.external_id.like("imp-%")))
                )
            assert stored == imported, f"{len(imported - stored)} imported offers lost"
            race_on_one_version(server.base_url, key, ids)
            log = server.log()
        backend = empty_database.split(":")[0].split("+")[0]
        writes = CLIENTS * WRITES_PER_CLIENT
        with capsys.disabled():
            print(
                f"\nCONCURRENCY {backend}: {CLIENTS} clients x {WRITES_PER_CLIENT} writes "
                f"(+{writes // READ_EVERY} reads) in {elapsed:.1f} s = {writes / elapsed:.0f} writes/s; "
                f"statuses {dict(sorted(acked.statuses.items()))}; meanwhile "
                f"{len(imported) // IMPORTED_PER_CALL} imports of {IMPORTED_PER_CALL} offers, all kept"
            )
        assert not acked.failures, f"{len(acked.failures)} failed calls, e.g. {acked.failures[:5]}"
        assert not import_failures, import_failures[:5]
        assert imported, "no import ran during the load"
        assert sum(acked.statuses.values()) == writes + writes // READ_EVERY
        assert "database is locked" not in log
        assert key not in log
    finally:
        engine.dispose()
