"""Ranked match lists through the API, with the fast test encoder (test_ranking_model uses the real one)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.api.deps import get_session
from broker.config import Settings
from broker.main import create_app
from broker.models import Embedding, Institution
from tests.factories import CallerFactory, make_hiv_catalogue, make_institution, make_offer

FACTORS = {"semantic", "sector", "region", "modality", "language", "cost", "track_record"}


@pytest.fixture
def catalogue(session: Session) -> dict[str, int]:
    base = make_hiv_catalogue(session)
    kenya, brazil = base["kenya"], base["brazil"]
    hiv, irrigation = base["hiv"], base["irrigation"]
    own = make_offer(
        session,
        kenya,
        title="HIV treatment in Kenya",
        description="Our own HIV treatment work.",
        sectors=["13040"],
    )
    draft = make_offer(
        session,
        brazil,
        title="HIV treatment draft",
        description="HIV treatment, not ready.",
        sectors=["13040"],
        status="draft",
    )
    expired = make_offer(
        session,
        brazil,
        title="HIV treatment old",
        description="HIV treatment expired offer.",
        sectors=["13040"],
        available_until=date(2020, 1, 1),
    )
    request = base["request"]
    return {
        "hiv": hiv.id,
        "irrigation": irrigation.id,
        "own": own.id,
        "draft": draft.id,
        "expired": expired.id,
        "request": request.id,
        "kenya": kenya.id,
        "brazil": brazil.id,
    }


def test_request_matches_are_ranked_explained_and_filtered(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    response = client.get(f"/api/v1/requests/{catalogue['request']}/matches", headers=caller("staff").headers)
    assert response.status_code == 200, response.text
    body = response.json()
    offers = [item["offer_id"] for item in body["items"]]
    assert offers == [catalogue["hiv"], catalogue["irrigation"]]  # own, draft and expired offers are filtered
    top = body["items"][0]
    assert top["rank"] == 1 and top["status"] == "proposed" and top["id"] is not None
    assert set(top["components"]) == FACTORS and all(0 <= v <= 1 for v in top["components"].values())
    assert abs(sum(top["contributions"].values()) - top["score"]) < 1e-9
    assert top["estimated_cost_usd"] > 0 and top["modality"] == "study_tour"
    assert "Same sector: STD control including HIV/AIDS" in top["reasons"]
    assert "No completed exchanges yet (neutral)" in top["reasons"]
    assert any(r.startswith("Offers your preferred modality") for r in top["reasons"])
    assert body["profile"] == "default" and body["model_id"] == "test-hashing-v1"


def test_recompute_keeps_status_and_reviews(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    staff = caller("staff").headers
    url = f"/api/v1/requests/{catalogue['request']}/matches"
    first = client.get(url, headers=staff).json()["items"][0]
    review = client.post(
        f"/api/v1/matches/{first['id']}/reviews",
        json={"status": "shortlisted", "note": "call"},
        headers=staff,
    )
    assert review.status_code == 201
    broker = caller("broker").headers
    offer = client.get(f"/api/v1/offers/{catalogue['hiv']}", headers=broker).json()
    edit = {
        "version": offer["version"],
        "description": "Antiretroviral therapy for everyone, with community support.",
    }
    assert client.patch(f"/api/v1/offers/{catalogue['hiv']}", json=edit, headers=broker).status_code == 200
    again = client.get(url, headers=staff).json()["items"]
    same = next(i for i in again if i["offer_id"] == catalogue["hiv"])
    assert same["id"] == first["id"] and same["status"] == "shortlisted" and same["score"] != first["score"]
    history = client.get(f"/api/v1/matches/{first['id']}", headers=staff).json()["reviews"]
    assert [(r["status"], r["note"]) for r in history] == [("shortlisted", "call")]


def test_offer_falling_out_of_the_list_keeps_its_row_without_rank(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    staff = caller("staff").headers
    url = f"/api/v1/requests/{catalogue['request']}/matches"
    items = client.get(url, headers=staff).json()["items"]
    second = items[1]
    client.get(f"{url}?limit=1", headers=staff)
    stored = client.get(f"/api/v1/matches/{second['id']}", headers=staff).json()
    assert stored["rank"] is None and stored["offer_id"] == second["offer_id"]


def test_diversity_caps_offers_per_institution(
    client: TestClient, caller: CallerFactory, session: Session, catalogue: dict[str, int]
) -> None:
    brazil = session.get_one(Institution, catalogue["brazil"])
    for i in range(3):
        make_offer(
            session,
            brazil,
            title=f"HIV treatment variant {i}",
            description="HIV treatment programme.",
            sectors=["13040"],
        )
    url = f"/api/v1/requests/{catalogue['request']}/matches?limit=10"
    items = client.get(url, headers=caller("staff").headers).json()["items"]
    from_brazil = [i for i in items if i["offer_id"] != catalogue["irrigation"]]
    assert len(from_brazil) == 2
    wider = client.get(f"{url}&per_institution=5", headers=caller("staff").headers).json()["items"]
    assert len(wider) == 5


def test_profile_changes_weights_and_unknown_profile_is_404(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    staff = caller("staff").headers
    weights = {"semantic": 0, "sector": 0, "region": 0, "modality": 0, "language": 0, "cost": 1}
    assert (
        client.put("/api/v1/scoring-profiles/cost-only", json={"weights": weights}, headers=staff).status_code
        == 200
    )
    url = f"/api/v1/requests/{catalogue['request']}/matches"
    items = client.get(f"{url}?profile=cost-only", headers=staff).json()["items"]
    assert all(abs(i["score"] - i["components"]["cost"]) < 1e-9 for i in items)
    assert client.get(f"{url}?profile=nope", headers=staff).status_code == 404


def test_offer_side_ranks_open_requests(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    body = client.get(f"/api/v1/offers/{catalogue['hiv']}/matches", headers=caller("broker").headers).json()
    assert [i["request_id"] for i in body["items"]] == [catalogue["request"]]
    assert body["items"][0]["offer_id"] == catalogue["hiv"]


def test_explore_ranks_without_storing(
    client: TestClient, caller: CallerFactory, session: Session, catalogue: dict[str, int]
) -> None:
    body = {
        "title": "Irrigation water user associations",
        "description": "Canal management by farmers.",
        "country": "Morocco",
        "sectors": ["31140"],
    }
    response = client.post("/api/v1/match", json=body, headers=caller("broker").headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert items[0]["offer_id"] == catalogue["irrigation"] and items[0]["id"] is None


def test_closed_request_shows_stored_matches_without_recomputing(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    staff, broker = caller("staff").headers, caller("broker").headers
    url = f"/api/v1/requests/{catalogue['request']}/matches"
    first = client.get(url, headers=staff).json()
    request = client.get(f"/api/v1/requests/{catalogue['request']}", headers=broker).json()
    client.patch(
        f"/api/v1/requests/{catalogue['request']}",
        json={"version": request["version"], "status": "matched"},
        headers=broker,
    )
    stored = client.get(url, headers=staff).json()
    assert stored["recomputed"] is False
    assert [i["id"] for i in stored["items"]] == [i["id"] for i in first["items"]]


def test_embeddings_are_stored_once_per_text(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    inst = make_institution(session)
    headers = caller("broker").headers

    def count() -> int:
        return session.scalar(select(func.count()).select_from(Embedding)) or 0

    before = count()
    body = {
        "institution_id": inst.id,
        "title": "Land titling",
        "description": "Registering rural land rights.",
        "sectors": ["31130"],
        "modalities": ["workshop"],
    }
    offer = client.post("/api/v1/offers", json=body, headers=headers).json()
    assert count() == before + 1
    offer = client.patch(
        f"/api/v1/offers/{offer['id']}", json={"version": offer["version"], "cost_usd": 900}, headers=headers
    ).json()
    assert count() == before + 1  # text unchanged: no new embedding
    client.patch(
        f"/api/v1/offers/{offer['id']}",
        json={"version": offer["version"], "title": "Land titling at scale"},
        headers=headers,
    )
    assert count() == before + 2


def test_two_workers_stay_consistent(
    app_settings: Settings, session: Session, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    """Two app instances (as two workers) over one database: a write through one is seen by the other."""

    def session_override() -> Iterator[Session]:
        scope = session.begin_nested()
        yield session
        scope.commit()

    apps = [create_app(app_settings), create_app(app_settings)]
    for app in apps:
        app.dependency_overrides[get_session] = session_override
    staff, broker = caller("staff").headers, caller("broker").headers
    with TestClient(apps[0]) as reader, TestClient(apps[1]) as writer:
        url = f"/api/v1/requests/{catalogue['request']}/matches"
        assert len(reader.get(url, headers=staff).json()["items"]) == 2
        body = {
            "institution_id": catalogue["brazil"],
            "title": "HIV treatment adherence clubs",
            "description": "HIV treatment adherence clubs for antiretroviral therapy.",
            "sectors": ["13040"],
            "modalities": ["study_tour"],
        }
        new = writer.post("/api/v1/offers", json=body, headers=broker).json()
        assert new["id"] in [i["offer_id"] for i in reader.get(url, headers=staff).json()["items"]]
        writer.delete(f"/api/v1/offers/{catalogue['irrigation']}", headers=broker)
        assert catalogue["irrigation"] not in [
            i["offer_id"] for i in reader.get(url, headers=staff).json()["items"]
        ]
