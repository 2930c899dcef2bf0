"""Offers and requests through the JSON API: create, read back, filter, update, delete."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import CallerFactory, make_institution, make_offer, make_request

OFFER = {
    "title": "School feeding linked to family farming",
    "description": "A national law buys at least 30% of school food from family farmers.",
    "results": "Covers tens of millions of pupils.",
    "sectors": ["11220", "31120"],
    "sdgs": [2, 4],
    "modalities": ["study_tour", "expert_visit"],
    "cost_usd": 40000,
}


def test_institution_key_creates_offer_for_itself_with_defaults(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    inst = make_institution(session, name="FNDE", country="BRA", languages=["pt", "es"])
    response = client.post("/api/v1/offers", json=OFFER, headers=caller("institution", inst).headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["institution_id"] == inst.id
    assert body["status"] == "published"  # new offers default to published
    assert body["country"] == "BRA" and body["languages"] == ["pt", "es"]  # taken from the institution


def test_new_request_defaults_to_open(client: TestClient, session: Session, caller: CallerFactory) -> None:
    inst = make_institution(session, name="Ministry of Education", country="MOZ", languages=["pt"])
    body = {
        "institution_id": inst.id,
        "title": "Feed pupils from local farms",
        "description": "Our school meals depend on imported food.",
        "sectors": ["11220"],
        "desired_outcomes": ["new_improved_actions"],
        "budget_usd": 25000,
        "participants": 6,
    }
    response = client.post("/api/v1/requests", json=body, headers=caller("broker").headers)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "open"


def test_broker_must_name_the_institution(client: TestClient, caller: CallerFactory) -> None:
    response = client.post("/api/v1/offers", json=OFFER, headers=caller("broker").headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "institution_id"]


def test_unknown_codes_are_each_named(client: TestClient, session: Session, caller: CallerFactory) -> None:
    inst = make_institution(session)
    bad = {
        **OFFER,
        "institution_id": inst.id,
        "sectors": ["13041"],
        "modalities": ["study_trip"],
        "sdgs": [18],
    }
    response = client.post("/api/v1/offers", json=bad, headers=caller("broker").headers)
    assert response.status_code == 422
    locs = {tuple(e["loc"]) for e in response.json()["detail"]}
    assert {("body", "sectors"), ("body", "modalities"), ("body", "sdgs")} <= locs
    messages = " ".join(e["msg"] for e in response.json()["detail"])
    assert "13041" in messages and "13040" in messages and "study_tour" in messages


def test_duplicate_codes_are_refused(client: TestClient, session: Session, caller: CallerFactory) -> None:
    inst = make_institution(session)
    bad = {**OFFER, "institution_id": inst.id, "sectors": ["11220", "11220"]}
    response = client.post("/api/v1/offers", json=bad, headers=caller("broker").headers)
    assert response.status_code == 422 and "duplicate" in response.text


def test_negative_cost_and_reversed_window_are_refused(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    inst = make_institution(session)
    headers = caller("broker").headers
    assert (
        client.post(
            "/api/v1/offers", json={**OFFER, "institution_id": inst.id, "cost_usd": -1}, headers=headers
        ).status_code
        == 422
    )
    window = {
        **OFFER,
        "institution_id": inst.id,
        "available_from": "2028-01-01",
        "available_until": "2027-01-01",
    }
    assert client.post("/api/v1/offers", json=window, headers=headers).status_code == 422


def test_duplicate_external_id_is_409(client: TestClient, session: Session, caller: CallerFactory) -> None:
    inst = make_institution(session)
    headers = caller("broker").headers
    body = {**OFFER, "institution_id": inst.id, "external_id": "offer-bra-pnae"}
    assert client.post("/api/v1/offers", json=body, headers=headers).status_code == 201
    again = client.post("/api/v1/offers", json=body, headers=headers)
    assert again.status_code == 409 and again.json()["error"] == "conflict"


def test_list_filters_by_sector_modality_country_status_and_text(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    inst = make_institution(session, country="BRA", languages=["pt"])
    make_offer(session, inst, title="School feeding", sectors=["11220"], modalities=["study_tour"])
    make_offer(session, inst, title="HIV treatment", sectors=["13040"], modalities=["expert_visit"])
    make_offer(
        session, inst, title="Old HIV work", sectors=["13040"], modalities=["workshop"], status="archived"
    )
    headers = caller("staff").headers

    def titles(query: str) -> list[str]:
        response = client.get(f"/api/v1/offers?{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [o["title"] for o in response.json()["items"]]

    assert titles("sector=13040&status=published") == ["HIV treatment"]
    assert titles("modality=study_tour") == ["School feeding"]
    assert titles("q=hiv") == ["HIV treatment", "Old HIV work"]
    assert titles("country=MOZ") == []


def test_institution_sees_only_published_offers_of_others(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    owner = make_institution(session, name="Owner", country="BRA", languages=["pt"])
    other = make_institution(session, name="Other", country="MOZ", languages=["pt"])
    make_offer(session, owner, title="Published one")
    make_offer(session, owner, title="Draft one", status="draft")
    seen = client.get("/api/v1/offers", headers=caller("institution", other).headers).json()
    assert [o["title"] for o in seen["items"]] == ["Published one"] and seen["total"] == 1
    own = client.get("/api/v1/offers", headers=caller("institution", owner).headers).json()
    assert own["total"] == 2


def test_patch_updates_and_bumps_version(client: TestClient, session: Session, caller: CallerFactory) -> None:
    request = make_request(session)
    headers = caller("broker").headers
    response = client.patch(
        f"/api/v1/requests/{request.id}",
        json={"version": 1, "participants": 12, "status": "closed"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["participants"] == 12 and response.json()["version"] == 2


def test_delete_refused_when_a_match_was_reviewed(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    from broker.models import Match

    offer = make_offer(session)
    request = make_request(session)
    match = Match(request_id=request.id, offer_id=offer.id, profile="default", score=0.7, rank=1)
    session.add(match)
    session.flush()
    staff = caller("staff").headers
    review = client.post(
        f"/api/v1/matches/{match.id}/reviews", json={"status": "accepted", "note": "fits"}, headers=staff
    )
    assert review.status_code == 201
    history = review.json()["reviews"]
    assert [(r["status"], r["note"]) for r in history] == [("accepted", "fits")]
    response = client.delete(f"/api/v1/offers/{offer.id}", headers=caller("admin").headers)
    assert response.status_code == 409
    assert client.get(f"/api/v1/matches/{match.id}", headers=staff).json()["status"] == "accepted"


@pytest.mark.parametrize(
    ("field", "value"),
    [("capacity_per_year", True), ("capacity_per_year", "12"), ("cost_usd", "40000"), ("sdgs", ["2"])],
)
def test_a_string_or_a_boolean_is_not_a_number(
    client: TestClient, session: Session, caller: CallerFactory, field: str, value: object
) -> None:
    headers = caller("institution", make_institution(session)).headers
    response = client.post("/api/v1/offers", json={**OFFER, field: value}, headers=headers)
    assert response.status_code == 422, response.text
    (entry,) = response.json()["detail"]
    assert entry["loc"] == ["body", field] and "must be a number" in entry["msg"]
    assert client.get("/api/v1/offers", headers=headers).json()["total"] == 0


def test_csv_cells_still_carry_numbers_as_text(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    make_institution(session, external_id="inst-n")
    csv_text = (
        "external_id,institution,title,description,sectors,sdgs,modalities,capacity_per_year,cost_usd\n"
        "offer-n,inst-n,School feeding,A law buys school food locally.,11220,2;4,study_tour,12,40000\n"
    )
    headers = caller("admin").headers | {"Content-Type": "text/csv"}
    response = client.post("/api/v1/import?format=csv&kind=offers", content=csv_text, headers=headers)
    assert response.status_code == 200, response.text
    (offer,) = client.get("/api/v1/offers?q=feeding", headers=headers).json()["items"]
    assert (offer["capacity_per_year"], offer["cost_usd"], offer["sdgs"]) == (12, 40000, [2, 4])


@pytest.mark.parametrize("q", ["são", "SÃO", "sao", "Sao Tomé", "STRASSE"])
def test_search_ignores_case_and_accents_beyond_ascii(
    client: TestClient, session: Session, caller: CallerFactory, q: str
) -> None:
    institution = make_institution(session, name="SÃO TOMÉ Ministry of Education", country="STP")
    make_offer(session, institution, title="Schools of SÃO TOMÉ", description="Built on the Straße model.")
    make_offer(session, institution, title="Unrelated", description="Irrigation canals.")
    headers = caller("staff").headers
    offers = client.get("/api/v1/offers", params={"q": q}, headers=headers).json()
    assert [o["title"] for o in offers["items"]] == ["Schools of SÃO TOMÉ"]
    if q != "STRASSE":
        found = client.get("/api/v1/institutions", params={"q": q}, headers=headers).json()
        assert [i["name"] for i in found["items"]] == ["SÃO TOMÉ Ministry of Education"]


def test_search_follows_an_edit(client: TestClient, session: Session, caller: CallerFactory) -> None:
    institution = make_institution(session)
    offer = make_offer(session, institution, title="Old title")
    headers = caller("admin").headers
    renamed = client.patch(
        f"/api/v1/offers/{offer.id}", json={"version": 1, "title": "Ação social"}, headers=headers
    )
    assert renamed.status_code == 200, renamed.text
    assert client.get("/api/v1/offers?q=acao", headers=headers).json()["total"] == 1
    assert client.get("/api/v1/offers?q=old", headers=headers).json()["total"] == 0
