from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import CallerFactory


def test_sector_search_finds_hiv(client: TestClient, caller: CallerFactory) -> None:
    body = client.get("/api/v1/taxonomy/sectors?q=hiv", headers=caller("staff").headers).json()
    assert body["items"][0]["code"] == "13040" and body["items"][0]["category"] == "130"


def test_every_list_answers_with_its_counts(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("staff").headers
    counts = {
        name: client.get(f"/api/v1/taxonomy/{name}", headers=headers).json()["total"]
        for name in ("sectors", "sdgs", "countries", "regions", "languages", "modalities", "outcomes")
    }
    assert counts["sectors"] == 295 and counts["sdgs"] == 17 and counts["modalities"] == 14
    assert counts["outcomes"] == 6 and counts["countries"] > 240 and counts["languages"] > 150


def test_countries_filter_by_region_and_search(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("broker").headers
    eastern = client.get("/api/v1/taxonomy/countries?region=Eastern%20Africa", headers=headers).json()
    assert "KEN" in {c["alpha3"] for c in eastern["items"]} and "BRA" not in {
        c["alpha3"] for c in eastern["items"]
    }
    kenya = client.get("/api/v1/taxonomy/countries?q=ke", headers=headers).json()
    assert "KEN" in {c["alpha3"] for c in kenya["items"]}


def test_taxonomy_needs_a_key(client: TestClient) -> None:
    assert client.get("/api/v1/taxonomy/modalities").status_code == 401
