"""Two independent server processes on one database stay consistent under concurrent writes.

Each process keeps its own in-memory index and follows the catalogue generation (broker.ranking.catalog):
clients write offers through both servers at once (create, edit, archive, delete), and afterwards
each server ranks every open request exactly as an index built from scratch does.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from broker.db import make_engine, make_session_factory
from broker.ranking.embedding import HashingEncoder
from broker.ranking.engine import MatchEngine
from tests.factories import make_institution, make_request
from tests.reliability.server import prepare_database, running_server

CLIENTS = 6
WRITES_PER_CLIENT = 15  # at most 90 offers: every one fits in a list of 100
TOPICS = ("HIV treatment", "school feeding", "drip irrigation", "cash transfers", "tax administration")


def _write(base: str, headers: dict[str, str], institution_id: int, seed: int) -> list[str]:
    """Create offers, then edit, archive or delete some of them; returns unexpected responses."""
    rng = random.Random(seed)
    problems: list[str] = []
    mine: list[dict[str, object]] = []
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for n in range(WRITES_PER_CLIENT):
            action = rng.random() if mine else 0.0
            if action < 0.5:
                topic = rng.choice(TOPICS)
                body = {
                    "institution_id": institution_id,
                    "title": f"{topic} {seed}-{n}",
                    "description": f"Our {topic} programme, shared with peers.",
                    "modalities": ["study_tour"],
                }
                response = client.post("/api/v1/offers", json=body)
                if response.status_code == 201:
                    mine.append(response.json())
            elif action < 0.75:
                offer = rng.choice(mine)
                edit = {"version": offer["version"], "title": f"{rng.choice(TOPICS)} edited {seed}-{n}"}
                response = client.patch(f"/api/v1/offers/{offer['id']}", json=edit)
                if response.status_code == 200:
                    mine[mine.index(offer)] = response.json()
            elif action < 0.9:
                offer = rng.choice(mine)
                response = client.patch(
                    f"/api/v1/offers/{offer['id']}", json={"version": offer["version"], "status": "archived"}
                )
                if response.status_code == 200:
                    mine[mine.index(offer)] = response.json()
            else:
                offer = mine.pop(rng.randrange(len(mine)))
                response = client.delete(f"/api/v1/offers/{offer['id']}")
            if response.status_code >= 300:
                problems.append(f"{response.request.method} {response.request.url}: {response.status_code}")
    return problems


def test_two_servers_rank_like_a_fresh_index_after_concurrent_writes(
    empty_database: str, tmp_path: Path
) -> None:
    key = prepare_database(empty_database)
    engine = make_engine(empty_database)
    with make_session_factory(engine)() as session:
        homes = [make_institution(session, name=f"Provider {c}", country="BRA") for c in range(CLIENTS)]
        seeker = make_institution(session, name="Seeker", country="KEN")
        requests = [
            make_request(session, seeker, title=topic, description=f"We want to learn about {topic}.")
            for topic in TOPICS
        ]
        session.commit()
        home_ids, request_ids = [h.id for h in homes], [r.id for r in requests]
    headers = {"Authorization": f"Bearer {key}"}
    with (
        running_server(empty_database, tmp_path / "a.log") as first,
        running_server(empty_database, tmp_path / "b.log") as second,
    ):
        servers = [first.base_url, second.base_url]
        for base in servers:  # both indexes are built before the writes begin
            url = f"{base}/api/v1/requests/{request_ids[0]}/matches"
            assert httpx.get(url, headers=headers, timeout=60).status_code == 200
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(_write, servers[c % 2], headers, home_ids[c], c) for c in range(CLIENTS)]
            problems = [p for f in futures for p in f.result()]
        assert problems == []

        with make_session_factory(engine)() as session:
            fresh = MatchEngine(HashingEncoder())
            fresh.sync(session)
            expected = set(fresh.offers.ids.tolist())
        assert expected  # the writes left published offers
        for base in servers:
            for request_id in request_ids:
                ranked = httpx.get(
                    f"{base}/api/v1/requests/{request_id}/matches?limit=100&per_institution=100",
                    headers=headers,
                    timeout=60,
                ).json()["items"]
                assert {i["offer_id"] for i in ranked} == expected, (
                    f"{base} is stale for request {request_id}"
                )
        lists = [
            [
                (i["offer_id"], round(i["score"], 9))
                for i in httpx.get(
                    f"{base}/api/v1/requests/{request_ids[0]}/matches?limit=100&per_institution=100",
                    headers=headers,
                    timeout=60,
                ).json()["items"]
            ]
            for base in servers
        ]
        assert lists[0] == lists[1]
    engine.dispose()
