"""List endpoints: country filters take the forms writes take, and pages link to their neighbours."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import CallerFactory, make_institution, make_offer, make_request


@pytest.fixture
def two_countries(session: Session) -> None:
    ghana = make_institution(session, name="Ghana Health Service", country="GHA", languages=["en"])
    kenya = make_institution(session, name="Kenya Ministry of Health", country="KEN")
    make_request(session, ghana, title="Ghana request")
    make_request(session, kenya, title="Kenya request")
    make_offer(session, ghana, title="Ghana offer")
    make_offer(session, kenya, title="Kenya offer")


@pytest.mark.parametrize("country", ["Ghana", "ghana", "GH", "gha", "GHA"])
@pytest.mark.parametrize("path", ["/api/v1/requests", "/api/v1/offers", "/api/v1/institutions"])
def test_country_filter_accepts_name_alpha2_and_alpha3(
    client: TestClient, caller: CallerFactory, two_countries: None, path: str, country: str
) -> None:
    response = client.get(path, params={"country": country}, headers=caller("admin").headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert items and {item["country"] for item in items} == {"GHA"}


@pytest.mark.parametrize("path", ["/api/v1/requests", "/api/v1/offers", "/api/v1/institutions"])
def test_unknown_country_filter_is_422_naming_the_value_and_a_suggestion(
    client: TestClient, caller: CallerFactory, two_countries: None, path: str
) -> None:
    response = client.get(path, params={"country": "Ghanna"}, headers=caller("admin").headers)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    entry = body["detail"][0]
    assert entry["loc"] == ["query", "country"]
    assert "unknown country 'Ghanna'" in entry["msg"] and "GHA" in entry["msg"]


def test_pages_link_to_next_and_prev_keeping_the_filters(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    ghana = make_institution(session, name="Ghana Health Service", country="GHA", languages=["en"])
    for n in range(5):
        make_request(session, ghana, title=f"Ghana request {n}")
    headers = caller("admin").headers
    first = client.get("/api/v1/requests?country=Ghana&limit=2", headers=headers).json()
    assert first["total"] == 5 and first["links"]["prev"] is None
    seen = [item["id"] for item in first["items"]]
    page, pages = first, 1
    while page["links"]["next"]:
        query = parse_qs(urlsplit(page["links"]["next"]).query)
        assert query["country"] == ["Ghana"] and query["limit"] == ["2"]
        page = client.get(page["links"]["next"], headers=headers).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
    assert pages == 3 and len(seen) == len(set(seen)) == 5
    assert page["offset"] == 4 and page["links"]["next"] is None
    back = client.get(page["links"]["prev"], headers=headers).json()
    assert back["offset"] == 2 and [i["id"] for i in back["items"]] == seen[2:4]


def test_an_empty_list_has_no_links(client: TestClient, caller: CallerFactory) -> None:
    body = client.get("/api/v1/institutions?q=nothing-like-this", headers=caller("admin").headers).json()
    assert body["items"] == [] and body["links"] == {"next": None, "prev": None}


def test_an_offset_past_the_end_links_back_to_the_last_page(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    for n in range(3):
        make_institution(session, name=f"Agency {n}", country="PER", languages=["es"])
    body = client.get("/api/v1/institutions?country=PE&limit=2&offset=10", headers=caller("admin").headers)
    links = body.json()["links"]
    assert links["next"] is None
    assert parse_qs(urlsplit(links["prev"]).query)["offset"] == ["1"]
