from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import Caller, CallerFactory

NEW = {
    "name": "Ministerio de Desarrollo Social",
    "country": "Mexico",
    "kind": "government",
    "languages": ["es"],
}


def test_broker_creates_institution_and_country_is_stored_as_alpha3(
    client: TestClient, caller: CallerFactory
) -> None:
    broker: Caller = caller("broker")
    response = client.post("/api/v1/institutions", json=NEW, headers=broker.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["country"] == "MEX" and body["version"] == 1
    again = client.get(f"/api/v1/institutions/{body['id']}", headers=broker.headers)
    assert again.json()["name"] == NEW["name"]


def test_alpha2_country_is_accepted(client: TestClient, caller: CallerFactory) -> None:
    response = client.post(
        "/api/v1/institutions", json={**NEW, "country": "mx"}, headers=caller("admin").headers
    )
    assert response.status_code == 201 and response.json()["country"] == "MEX"


def test_unknown_country_is_422_naming_the_field(client: TestClient, caller: CallerFactory) -> None:
    response = client.post(
        "/api/v1/institutions", json={**NEW, "country": "Mexcio"}, headers=caller("broker").headers
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    entry = body["detail"][0]
    assert entry["loc"] == ["body", "country"]
    assert "Mexcio" in entry["msg"] and "MEX" in entry["msg"]


def test_unknown_field_is_rejected(client: TestClient, caller: CallerFactory) -> None:
    response = client.post(
        "/api/v1/institutions", json={**NEW, "nmae": "x"}, headers=caller("broker").headers
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "nmae"]


def test_stale_version_gets_409_and_changes_nothing(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("broker").headers
    created = client.post("/api/v1/institutions", json=NEW, headers=headers).json()
    url = f"/api/v1/institutions/{created['id']}"
    first = client.patch(url, json={"version": 1, "name": "Secretaría de Bienestar"}, headers=headers)
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = client.patch(url, json={"version": 1, "name": "Overwritten"}, headers=headers)
    assert stale.status_code == 409 and stale.json()["error"] == "stale_version"
    assert client.get(url, headers=headers).json()["name"] == "Secretaría de Bienestar"


def test_null_for_required_field_is_422(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("broker").headers
    created = client.post("/api/v1/institutions", json=NEW, headers=headers).json()
    response = client.patch(
        f"/api/v1/institutions/{created['id']}", json={"version": 1, "name": None}, headers=headers
    )
    assert response.status_code == 422


def test_list_filters_and_paginates(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("broker").headers
    for i in range(3):
        client.post(
            "/api/v1/institutions", json={**NEW, "name": f"Agency {i}", "country": "CHL"}, headers=headers
        )
    client.post("/api/v1/institutions", json={**NEW, "name": "Other", "country": "PER"}, headers=headers)
    page = client.get("/api/v1/institutions?country=CHL&limit=2&offset=1", headers=headers).json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["offset"] == 1
    found = client.get("/api/v1/institutions?q=agency%202", headers=headers).json()
    assert [i["name"] for i in found["items"]] == ["Agency 2"]


def test_institution_with_offers_cannot_be_deleted(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    from tests.factories import make_offer

    offer = make_offer(session)
    headers = caller("admin").headers
    response = client.delete(f"/api/v1/institutions/{offer.institution_id}", headers=headers)
    assert response.status_code == 409
    empty = client.post("/api/v1/institutions", json=NEW, headers=headers).json()
    assert client.delete(f"/api/v1/institutions/{empty['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/institutions/{empty['id']}", headers=headers).status_code == 404
