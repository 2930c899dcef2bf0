"""Background imports (``POST /import?async=true``, ``GET /import-jobs/{id}``) and embedding outside
the write lock, against a served app on its own database (SQLite and PostgreSQL): jobs run in
threads with sessions of their own, which the shared rolled-back test session cannot serve."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select

from broker import migrate
from broker.config import Settings
from broker.db import make_engine, make_session_factory
from broker.main import create_app
from broker.models import ImportJob, Offer, Role
from broker.ranking.embedding import HashingEncoder
from broker.ranking.embedding.encoder import EmbeddingMatrix
from broker.services import keys
from broker.services.bulk import jobs
from broker.services.understanding import suggester_for
from tests.conftest import POSTGRES_URL, postgres_database
from tests.reliability.server import free_port


class SlowEncoder:
    """The test encoder, taking ``seconds`` per call and noting how many database connections the
    embedding thread itself held while it ran (0: no transaction, so no write lock, is held).

    Counted per thread, not pool-wide: the test's own concurrent requests (a write, the job polls)
    hold connections of their own while the import embeds, and those are allowed."""

    def __init__(self, seconds: float) -> None:
        self.inner = HashingEncoder()
        self.model_id, self.dim = self.inner.model_id, self.inner.dim
        self.seconds = seconds
        self.checked_out: list[int] = []
        self.holders: dict[int, int] | None = None  # id(connection record) -> holding thread
        self.calls = threading.Event()

    def watch(self, engine: Any) -> None:
        holders: dict[int, int] = {}

        @event.listens_for(engine, "checkout")
        def _out(_dbapi: Any, record: Any, _proxy: Any) -> None:
            holders[id(record)] = threading.get_ident()

        @event.listens_for(engine, "checkin")
        def _in(_dbapi: Any, record: Any) -> None:
            holders.pop(id(record), None)

        self.holders = holders

    def encode(self, texts: Sequence[str]) -> EmbeddingMatrix:
        if self.holders is not None:
            me = threading.get_ident()
            self.checked_out.append(sum(1 for t in list(self.holders.values()) if t == me))
        self.calls.set()
        time.sleep(self.seconds)
        return self.inner.encode(texts)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def jobs_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('jobs') / 'jobs.db'}"
        migrate.upgrade(url)
        yield url
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests skipped: BROKER_TEST_POSTGRES_URL is not set")
    with postgres_database(POSTGRES_URL) as url:
        migrate.upgrade(url)
        yield url


@dataclass
class Served:
    url: str
    app: Any
    admin: dict[str, str]
    broker: dict[str, str]
    staff: dict[str, str]
    factory: Any

    def get(self, path: str, headers: dict[str, str], **kw: Any) -> httpx.Response:
        return httpx.get(self.url + path, headers=headers, timeout=30, **kw)

    def post(self, path: str, headers: dict[str, str], **kw: Any) -> httpx.Response:
        return httpx.post(self.url + path, headers=headers, timeout=60, **kw)


@pytest.fixture
def served(jobs_database: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """uvicorn in a thread serving an app on ``jobs_database``, with three keys committed."""
    engine = make_engine(jobs_database)
    factory = make_session_factory(engine)
    with factory() as session:
        headers = {
            role: {"Authorization": f"Bearer {keys.issue_key(session, name=f'jobs {role}', role=role).key}"}
            for role in (Role.admin, Role.broker, Role.staff)
        }
        session.commit()
    app = create_app(Settings(database_url=jobs_database, encoder="hashing", write_wait_seconds=10))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield Served(
            f"http://127.0.0.1:{port}",
            app,
            headers[Role.admin],
            headers[Role.broker],
            headers[Role.staff],
            factory,
        )
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        engine.dispose()


def install_slow_encoder(served: Served, *, seconds: float) -> SlowEncoder:
    """Make the served app embed with a ``SlowEncoder`` (its code suggester prepared beforehand, as
    the app's start-up prepares the real one's)."""
    slow = SlowEncoder(seconds=0)
    with served.factory() as session:
        suggester_for(slow).prepare(session, store=False)
    slow.seconds = seconds
    slow.watch(served.app.state.db_engine)
    served.app.state.match_engine.encoder = slow
    return slow


def bundle(n_offers: int) -> bytes:
    tag = uuid.uuid4().hex[:8]
    institution = {"external_id": f"inst-{tag}", "name": f"Jobs {tag}", "country": "BRA",
                   "kind": "government", "languages": ["pt"]}  # fmt: skip
    offers = [
        {
            "external_id": f"offer-{tag}-{i}",
            "institution": f"inst-{tag}",
            "title": f"School feeding from family farms, lesson {i} ({tag})",
            "description": f"A law makes schools buy food from local family farms; case {i}. " * 3,
            "sectors": ["11220"],
            "modalities": ["study_tour"],
        }
        for i in range(n_offers)
    ]
    return json.dumps({"institutions": [institution], "offers": offers}).encode()


def poll(served: Served, location: str, headers: dict[str, str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = served.get(location, headers).json()
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def test_async_import_answers_202_and_the_job_reports_counts_then_the_report(served: Served) -> None:
    response = served.post("/api/v1/import?format=json&async=true", served.broker, content=bundle(5))
    assert response.status_code == 202, response.text
    location = response.headers["Location"]
    assert location == f"/api/v1/import-jobs/{response.json()['id']}"
    assert response.json()["status"] == "queued"
    job = poll(served, location, served.broker)
    assert job["status"] == "succeeded", job
    assert job["counts"] == {"rows_parsed": 6, "texts_to_embed": 5, "texts_embedded": 5, "rows_written": 6,
                             "problem_count": 0}  # fmt: skip
    assert job["report"]["created"] == {"institutions": 1, "offers": 5}
    assert job["error"] is None and job["finished_at"] is not None


def test_a_job_with_bad_rows_fails_with_its_report_and_writes_nothing(served: Served) -> None:
    body = json.loads(bundle(2))
    body["offers"][1]["sectors"] = ["not-a-sector"]
    response = served.post("/api/v1/import?format=json&async=true", served.admin, json=body)
    job = poll(served, response.headers["Location"], served.admin)
    assert job["status"] == "failed" and job["error"].startswith("nothing imported: 1 problems")
    assert job["counts"]["problem_count"] == 1 and job["counts"]["rows_written"] == 0
    assert [p["line"] for p in job["report"]["problems"]] == [2]
    with served.factory() as session:
        ids = [o["external_id"] for o in body["offers"]]
        assert session.scalar(select(func.count()).where(Offer.external_id.in_(ids))) == 0


def test_a_body_that_does_not_parse_is_refused_at_once_and_makes_no_job(served: Served) -> None:
    with served.app.state.session_factory() as session:
        before = session.scalar(select(func.count()).select_from(ImportJob))
    response = served.post("/api/v1/import?format=json&kind=offers&async=true", served.admin,
                           content=b'{"title": "x"')  # fmt: skip
    assert response.status_code == 422, response.text
    assert "Location" not in response.headers
    with served.app.state.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ImportJob)) == before


def test_job_rights_staff_may_not_import_and_a_broker_reads_only_own_jobs(served: Served) -> None:
    refused = served.post("/api/v1/import?format=json&async=true", served.staff, content=bundle(1))
    assert refused.status_code == 403
    admins = served.post("/api/v1/import?format=json&async=true", served.admin, content=bundle(1))
    location = admins.headers["Location"]
    poll(served, location, served.admin)
    assert served.get(location, served.broker).status_code == 404
    assert served.get(location, served.staff).status_code == 403
    assert served.get(location, {}).status_code == 401
    assert served.get("/api/v1/import-jobs/999999", served.admin).status_code == 404


def test_a_job_left_unfinished_by_a_stopped_process_reads_failed_and_is_stored_failed(
    served: Served,
) -> None:
    host, pid, _ = jobs.process_owner().split(":")
    with served.factory() as session:  # as a previous server process with this pid would have left it
        job = ImportJob(status="running", caller_name="gone", caller_role="admin", format="json",
                        owner=f"{host}:{pid}:1", api_key_id=None)  # fmt: skip
        session.add(job)
        session.commit()
        job_id = job.id
    read = served.get(f"/api/v1/import-jobs/{job_id}", served.admin).json()
    assert read["status"] == "failed" and read["error"].startswith("interrupted")
    with served.factory() as session:
        assert session.get_one(ImportJob, job_id).status == "running"  # a GET stores nothing
    served.post("/api/v1/import?format=json&async=true", served.admin, content=bundle(1))
    with served.factory() as session:
        assert session.get_one(ImportJob, job_id).status == "failed"  # the next job stored it


def test_embedding_holds_no_connection_and_health_and_writes_go_on(served: Served) -> None:
    """Sync and async: while a slow encoder embeds an import, no transaction (hence no SQLite write
    lock) is open, /health answers at once and another key's write does not wait for the import.

    Each encoder call takes 3 s and the import makes three, so a write that waited for the import
    would take 6 s and more; the bounds below leave a loaded machine seconds of slack."""
    slow = install_slow_encoder(served, seconds=3.0)
    for path in ("/api/v1/import?format=json", "/api/v1/import?format=json&async=true"):
        slow.calls.clear()
        result: dict[str, httpx.Response] = {}

        def run_import(path: str = path, result: dict[str, httpx.Response] = result) -> None:
            result["r"] = served.post(path, served.admin, content=bundle(70))

        importer = threading.Thread(target=run_import)
        importer.start()
        assert slow.calls.wait(30)
        started = time.perf_counter()
        assert served.get("/health", {}).status_code == 200
        health_s = time.perf_counter() - started
        started = time.perf_counter()
        other = served.post("/api/v1/institutions", served.broker,
                            json={"name": f"Other {uuid.uuid4().hex[:6]}", "country": "GHA",
                                  "kind": "ngo", "languages": ["en"]})  # fmt: skip
        write_s = time.perf_counter() - started
        importer.join(60)
        assert other.status_code == 201, other.text
        assert health_s < 2.5 and write_s < 2.5, (path, health_s, write_s)
        response = result["r"]
        if response.status_code == 202:
            assert poll(served, response.headers["Location"], served.admin)["status"] == "succeeded"
        else:
            assert response.status_code == 200 and response.json()["created"]["offers"] == 70
    assert len(slow.checked_out) >= 6 and set(slow.checked_out) == {0}


def test_sync_import_embeds_ahead_so_the_write_transaction_embeds_nothing(served: Served) -> None:
    slow = install_slow_encoder(served, seconds=0)
    response = served.post("/api/v1/import?format=json", served.broker, content=bundle(40))
    assert response.status_code == 200
    assert slow.checked_out and set(slow.checked_out) == {0}


def test_the_job_list_shows_a_caller_their_own_jobs_newest_first_and_filters_by_status(
    served: Served,
) -> None:
    mine = served.post("/api/v1/import?format=json&async=true", served.broker, content=bundle(1))
    poll(served, mine.headers["Location"], served.broker)
    theirs = served.post("/api/v1/import?format=json&async=true", served.admin, content=bundle(1))
    poll(served, theirs.headers["Location"], served.admin)
    listed = served.get("/api/v1/import-jobs?limit=100", served.broker)
    assert listed.status_code == 200, listed.text
    ids = [job["id"] for job in listed.json()["items"]]
    assert mine.json()["id"] in ids and theirs.json()["id"] not in ids and ids == sorted(ids, reverse=True)
    every = served.get("/api/v1/import-jobs?limit=100&status=succeeded", served.admin).json()
    assert {mine.json()["id"], theirs.json()["id"]} <= {job["id"] for job in every["items"]}
    assert all(job["status"] == "succeeded" for job in every["items"])
    assert served.get("/api/v1/import-jobs?status=nonsense", served.admin).status_code == 422
    assert served.get("/api/v1/import-jobs", served.staff).status_code == 403


def test_a_new_process_stores_failed_on_jobs_a_stopped_process_left_running(jobs_database: str) -> None:
    host, pid, _ = jobs.process_owner().split(":")
    engine = make_engine(jobs_database)
    factory = make_session_factory(engine)
    with factory() as session:
        job = ImportJob(status="running", caller_name="gone", caller_role="admin", format="json",
                        owner=f"{host}:{pid}:1", api_key_id=None)  # fmt: skip
        session.add(job)
        session.commit()
        job_id = job.id
    app = create_app(Settings(database_url=jobs_database, encoder="hashing"))
    with TestClient(app):  # the lifespan runs the sweep
        pass
    with factory() as session:
        stored = session.get_one(ImportJob, job_id)
        assert stored.status == "failed" and (stored.error or "").startswith("interrupted")
    engine.dispose()
