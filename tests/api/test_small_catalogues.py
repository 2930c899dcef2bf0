"""Ranking, explaining and planning over 0 and 1 candidates, through every ranking endpoint."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import CallerFactory, make_institution, make_offer, make_request

EXPLORE = {
    "title": "Feed pupils from local farms",
    "description": "School meals depend on imported food.",
    "country": "MOZ",
    "sectors": ["11220"],
}


@pytest.mark.parametrize("n_offers", [0, 1])
def test_offers_for_a_request_over_zero_and_one_offers(
    client: TestClient, session: Session, caller: CallerFactory, n_offers: int
) -> None:
    asker = make_institution(session, name="Asker", country="MOZ", languages=["pt"])
    request = make_request(session, asker, languages=["pt"])
    if n_offers:
        make_offer(session, make_institution(session, name="Giver", country="BRA", languages=["pt"]))
    staff = caller("staff").headers
    ranked = client.get(f"/api/v1/requests/{request.id}/matches", headers=staff)
    assert ranked.status_code == 200, ranked.text
    assert len(ranked.json()["items"]) == n_offers
    explored = client.post("/api/v1/match", json=EXPLORE, headers=staff)
    assert explored.status_code == 200, explored.text
    assert len(explored.json()["items"]) == n_offers


@pytest.mark.parametrize("n_requests", [0, 1])
def test_requests_for_an_offer_over_zero_and_one_requests(
    client: TestClient, session: Session, caller: CallerFactory, n_requests: int
) -> None:
    offer = make_offer(session, make_institution(session, name="Giver", country="BRA", languages=["pt"]))
    if n_requests:
        make_request(session, make_institution(session, name="Asker", country="MOZ", languages=["pt"]))
    ranked = client.get(f"/api/v1/offers/{offer.id}/matches", headers=caller("staff").headers)
    assert ranked.status_code == 200, ranked.text
    assert len(ranked.json()["items"]) == n_requests


def test_exploring_for_an_unknown_institution_is_a_422(client: TestClient, caller: CallerFactory) -> None:
    response = client.post(
        "/api/v1/match", json={**EXPLORE, "institution_id": 999_999}, headers=caller("broker").headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "institution_id"]
