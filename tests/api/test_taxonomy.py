from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.factories import CallerFactory


def test_sector_search_finds_hiv(client: TestClient, caller: CallerFactory) -> None:
    # both HIV codes match every word; their order is the encoder's (the test encoder has no meaning)
    body = client.get("/api/v1/taxonomy/sectors?q=hiv", headers=caller("staff").headers).json()
    first_two = {item["code"]: item for item in body["items"][:2]}
    assert set(first_two) == {"13040", "16064"} and first_two["13040"]["category"] == "130"


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


def test_code_prefixes_and_exact_codes_still_work(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("staff").headers
    prefix = client.get("/api/v1/taxonomy/sectors?q=122", headers=headers).json()["items"]
    assert prefix and all(s["code"].startswith("122") for s in prefix)
    exact = client.get("/api/v1/taxonomy/sectors?q=12220", headers=headers).json()["items"]
    assert [s["code"] for s in exact] == ["12220"]


def test_sector_words_match_without_case_or_accents(client: TestClient, caller: CallerFactory) -> None:
    headers = caller("staff").headers
    for q, code in (("HIV", "13040"), ("prímary EDUCÁTION", "11220"), ("Schóol Feeding", "11250")):
        items = client.get("/api/v1/taxonomy/sectors", params={"q": q}, headers=headers).json()["items"]
        assert code in [s["code"] for s in items[:2]], q


def test_sdgs_modalities_and_outcomes_filter_only_with_a_query(
    client: TestClient, caller: CallerFactory
) -> None:
    headers = caller("staff").headers

    def codes(path: str, q: str | None = None) -> list[object]:
        params = {"q": q} if q else {}
        items = client.get(f"/api/v1/taxonomy/{path}", params=params, headers=headers).json()["items"]
        return [item.get("code", item.get("number")) for item in items]

    assert len(codes("sdgs")) == 17 and len(codes("modalities")) == 14 and len(codes("outcomes")) == 6
    assert codes("sdgs", "SDG 3") == [3] and codes("sdgs", "hunger")[0] == 2
    assert codes("modalities", "study tour") == ["study_tour"]
    assert codes("modalities", "twinning")[0] == "twinning"
    assert codes("outcomes", "networks")[0] == "enhanced_networks"


HEALTH_FINANCING = {"12110", "12220", "16010", "16011", "16012"}
DIGITAL_GOVERNMENT = {"15110", "15111", "22040"}


@pytest.mark.model
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("health insurance", HEALTH_FINANCING),
        ("seguro de salud", HEALTH_FINANCING),
        ("assurance maladie", HEALTH_FINANCING),
        ("governo digital", DIGITAL_GOVERNMENT),
        ("digital government", DIGITAL_GOVERNMENT),
    ],
)
def test_sectors_are_found_by_meaning_in_any_language(
    model_client: TestClient, caller: CallerFactory, q: str, expected: set[str]
) -> None:
    response = model_client.get("/api/v1/taxonomy/sectors", params={"q": q}, headers=caller("staff").headers)
    assert response.status_code == 200, response.text
    assert response.json()["items"][0]["code"] in expected


@pytest.mark.model
def test_an_off_topic_query_finds_no_sector(model_client: TestClient, caller: CallerFactory) -> None:
    headers = caller("staff").headers
    items = model_client.get("/api/v1/taxonomy/sectors?q=chocolate%20cake", headers=headers).json()["items"]
    assert items == []
