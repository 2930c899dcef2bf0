"""The catalogue generation follows every write path, and an index synced after each write matches
one built from scratch: through the API, an import, the demo loader and its removal, and the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from broker.models import CatalogDeletion, Institution, Offer, Role
from broker.ranking.catalog import catalog_generation
from broker.ranking.embedding import HashingEncoder
from broker.ranking.engine import MatchEngine
from broker.services import institutions as institution_service
from broker.services.bulk import demo
from broker.services.principal import Principal
from tests.factories import CallerFactory, make_institution, make_offer, make_request

ADMIN = Principal(key_id=0, name="test", role=Role.admin)


def fresh_view(session: Session) -> tuple[set[int], set[int], dict[int, int]]:
    """What an engine built from nothing sees: offer ids, open request ids, each offer's country index."""
    engine = MatchEngine(HashingEncoder())
    engine.sync(session)
    return indexed(engine)


def indexed(engine: MatchEngine) -> tuple[set[int], set[int], dict[int, int]]:
    index = engine.offers
    countries = dict(zip(index.ids.tolist(), index.supply().country.tolist(), strict=True))
    return set(index.ids.tolist()), set(engine.requests.rows), countries


class Follower:
    """One long-lived engine (a worker) that must keep up with each write through sync alone."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.engine = MatchEngine(HashingEncoder())
        self.engine.sync(session)
        self.generation = catalog_generation(session)

    def check(self, what: str) -> None:
        self.session.flush()
        generation = catalog_generation(self.session)
        assert generation > self.generation, f"{what} did not advance the catalogue generation"
        self.generation = generation
        self.engine.sync(self.session)
        assert indexed(self.engine) == fresh_view(self.session), f"index is stale after {what}"


def test_every_api_write_advances_the_generation_and_the_index_follows(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    admin = caller("admin").headers
    follower = Follower(session)
    inst = client.post(
        "/api/v1/institutions",
        json={"name": "Ghana Health Service", "country": "GH", "kind": "government", "languages": ["en"]},
        headers=admin,
    ).json()
    follower.check("creating an institution")
    offer = client.post(
        "/api/v1/offers",
        json={"institution_id": inst["id"], "title": "Community health nurses", "description": "CHPS zones.",
              "modalities": ["study_tour"]},
        headers=admin,
    ).json()  # fmt: skip
    follower.check("creating an offer")
    other = make_institution(session, name="Kenya MoH", country="KEN")
    request = client.post(
        "/api/v1/requests",
        json={"institution_id": other.id, "title": "Rural health workers", "description": "Few nurses."},
        headers=admin,
    ).json()
    follower.check("creating a request")
    patched = client.patch(
        f"/api/v1/offers/{offer['id']}",
        json={"version": offer["version"], "title": "CHPS nurses"},
        headers=admin,
    )
    assert patched.status_code == 200, patched.text
    follower.check("editing an offer")
    client.patch(
        f"/api/v1/requests/{request['id']}",
        json={"version": request["version"], "status": "closed"},
        headers=admin,
    )
    follower.check("closing a request")
    moved = client.patch(
        f"/api/v1/institutions/{inst['id']}",
        json={"version": inst["version"], "country": "TG"},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text
    follower.check("moving an institution to another country")
    assert client.delete(f"/api/v1/offers/{offer['id']}", headers=admin).status_code == 204
    follower.check("deleting an offer")


def test_import_demo_and_bulk_statements_advance_the_generation(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    follower = Follower(session)
    headers = caller("admin").headers | {"Content-Type": "text/csv"}
    institutions = "external_id,name,country,kind,languages\ninst-x,Agency X,Ghana,government,en\n"
    response = client.post(
        "/api/v1/import?format=csv&kind=institutions", content=institutions, headers=headers
    )
    assert response.status_code == 200, response.text
    follower.check("an import of institutions")
    offers = (
        "external_id,institution,title,description,modalities\n"
        "offer-x,inst-x,Cash transfers,Conditional cash transfers for families,study_tour\n"
    )
    response = client.post("/api/v1/import?format=csv&kind=offers", content=offers, headers=headers)
    assert response.status_code == 200, response.text
    follower.check("an import")
    demo.load_demo(session, principal=ADMIN, encoder=HashingEncoder())
    follower.check("loading the demo corpus")
    demo.remove_demo(session)  # bulk DELETE statements, no unit of work
    follower.check("removing the demo corpus")
    offer = make_offer(session)
    follower.check("a session.add")
    session.execute(update(Offer).where(Offer.id == offer.id).values(status="archived"))
    follower.check("a bulk UPDATE statement")
    session.execute(delete(Offer).where(Offer.id == offer.id))
    follower.check("a bulk DELETE statement")
    assert session.scalars(select(CatalogDeletion.row_id)).all()  # tombstones were left


def test_a_write_that_changes_nothing_does_not_advance_the_generation(session: Session) -> None:
    inst = make_institution(session)
    session.flush()
    before = catalog_generation(session)
    inst.name = inst.name  # same value: no change to flush
    session.flush()
    assert catalog_generation(session) == before
    institution_service.get_institution(session, institution_id=inst.id)
    session.flush()
    assert catalog_generation(session) == before


def test_an_institution_change_re_encodes_its_offers_and_requests(session: Session) -> None:
    inst = make_institution(session, country="KEN", languages=["en"])
    offer = make_offer(session, inst)
    request = make_request(session, make_institution(session, name="Other", country="BRA"))
    follower = Follower(session)
    index = follower.engine.offers
    languages = index.supply().languages[index.position(offer.id)].copy()
    session.get_one(Institution, inst.id).languages = ["en", "fr"]
    follower.check("changing the offering institution's languages")
    index = follower.engine.offers  # re-read, though the offer row itself did not change:
    assert (index.supply().languages[index.position(offer.id)] != languages).any()
    assert request.id in follower.engine.requests.rows


def test_a_worker_started_from_a_snapshot_reads_only_what_changed_since(
    session: Session, tmp_path: Path
) -> None:
    kept, changed, dropped = (make_offer(session, title=f"Offer {n}") for n in range(3))
    asker = make_institution(session, name="Asker", country="BRA")
    old_requests = [make_request(session, asker, title=f"Request {n}") for n in range(3)]
    follower = Follower(session)
    generation = follower.engine.save_snapshot(tmp_path / "index")
    request = make_request(session, asker, title="Request after the snapshot")
    changed.title = "Offer changed after the snapshot"
    session.delete(dropped)
    old_requests[1].title = "Request changed after the snapshot"
    session.delete(old_requests[2])
    added = make_offer(session, title="Offer added after the snapshot")
    session.flush()

    worker = MatchEngine(HashingEncoder())
    assert worker.load_snapshot(tmp_path / "index") == generation
    assert set(worker.offers.ids.tolist()) == {kept.id, changed.id, dropped.id}  # as it was
    assert set(worker.requests.rows) == {r.id for r in old_requests}  # the open requests too
    read: dict[str, list[int]] = {"offers": [], "requests": []}
    original = worker._read_changes

    def counting(session: Session, seen: dict[str, int]) -> Any:
        changes = original(session, seen)
        read["offers"].extend(offer.id for offer, _, _ in changes.offers)
        read["requests"].extend(r.id for r, _, _ in changes.requests)
        return changes

    worker._read_changes = counting  # type: ignore[method-assign]
    worker.sync(session)
    assert sorted(read["offers"]) == sorted([changed.id, added.id])  # not the offer that did not change
    assert sorted(read["requests"]) == sorted([old_requests[1].id, request.id])  # nor the request
    assert indexed(worker) == fresh_view(session)
    assert request.id in worker.requests.rows and old_requests[2].id not in worker.requests.rows
    reference = MatchEngine(HashingEncoder())
    reference.sync(session)
    assert worker.requests.ids.tolist() == reference.requests.ids.tolist()
    assert worker.requests.arrays is not None and reference.requests.arrays is not None
    assert (worker.requests.arrays.embedding == reference.requests.arrays.embedding).all()


def test_a_snapshot_without_requests_makes_the_worker_read_every_open_request(
    session: Session, tmp_path: Path
) -> None:
    make_offer(session)
    request = make_request(session, make_institution(session, name="Asker", country="BRA"))
    follower = Follower(session)
    follower.engine._seen["request"] = -1  # as after loading an older snapshot: the pool is not current
    follower.engine.save_snapshot(tmp_path / "index")
    worker = MatchEngine(HashingEncoder())
    worker.load_snapshot(tmp_path / "index")
    assert worker.requests.rows == {}
    worker.sync(session)
    assert set(worker.requests.rows) == {request.id}


def test_a_snapshot_of_another_model_is_refused(session: Session, tmp_path: Path) -> None:
    make_offer(session)
    follower = Follower(session)
    follower.engine.save_snapshot(tmp_path / "index")
    other = MatchEngine(HashingEncoder(dim=64))
    with pytest.raises(ValueError, match="was made with"):
        other.load_snapshot(tmp_path / "index")
