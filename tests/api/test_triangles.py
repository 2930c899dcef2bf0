"""Triangular matching through the API: a request's, an offer's and a funder's view of the windows
that may finance ranked pairs, with the hard rules applied and reasons in the caller's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from broker.models import FundingWindow, KnowledgeRequest, Offer
from tests.factories import (
    Caller,
    CallerFactory,
    make_funding_window,
    make_institution,
    make_offer,
    make_request,
)


@dataclass
class World:
    request: KnowledgeRequest
    offer: Offer
    lusophone: FundingWindow
    asia_only: FundingWindow
    too_small: FundingWindow
    staff: Caller
    requester: Caller
    funder: Caller
    other: Caller


@pytest.fixture
def world(session: Session, caller: CallerFactory) -> World:
    moz = make_institution(session, name="Mozambique MISAU", country="MOZ", languages=["pt"])
    bra = make_institution(session, name="Brazil Ministry of Health", country="BRA", languages=["pt", "en"])
    fund = make_institution(session, name="Triangular fund", country="JPN", kind="multilateral")
    request = make_request(session, moz, languages=["pt"], timeframe_start=date(2027, 3, 1))
    offer = make_offer(session, bra, cost_usd=20_000.0)
    common = {"max_per_exchange_usd": 50_000.0, "envelope_usd": 200_000.0}
    lusophone = make_funding_window(
        session, fund, title="Lusophone Africa health", receiving_countries=["MOZ", "AGO", "GNB"],
        receiving_regions=[], **common,
    )  # fmt: skip
    asia = make_funding_window(session, fund, title="Asia only", receiving_regions=["142"], **common)
    small = make_funding_window(
        session, fund, title="Small grants", max_per_exchange_usd=1_000.0, envelope_usd=10_000.0
    )
    return World(
        request, offer, lusophone, asia, small, staff=caller("staff"), requester=caller("institution", moz),
        funder=caller("institution", fund), other=caller("institution", make_institution(session, name="x")),
    )  # fmt: skip


def test_a_request_sees_only_the_windows_that_may_finance_its_offers(
    client: TestClient, world: World
) -> None:
    for who in (world.staff, world.requester):
        found = client.get(f"/api/v1/requests/{world.request.id}/triangles", headers=who.headers)
        assert found.status_code == 200, found.text
        body = found.json()
        assert body["windows_considered"] == 3 and body["pairs_considered"] >= 1
        windows = {i["window"]["id"] for i in body["items"]}
        assert windows == {world.lusophone.id}  # Asia: not eligible; small grants: too little
    (item,) = body["items"]
    assert item["offer"]["id"] == world.offer.id and item["request"]["id"] == world.request.id
    assert 0.7 * item["pair_score"] - 1e-6 <= item["score"] <= item["pair_score"] + 1e-6
    assert item["needed_usd"] == pytest.approx(item["cost_usd"] * 0.8, abs=0.01)
    assert "Window covers Mozambique" in item["reasons"]
    reasons = [r.replace("\xa0", " ") for r in item["reasons"]]
    assert any(r.startswith("Pays up to USD 50,000 per exchange; about USD") for r in reasons), reasons
    assert "Co-financing 20%" in reasons
    assert item["sector_fit"] == 0.75  # the window names the health group, the request a code in it


def test_reasons_follow_the_callers_language(client: TestClient, world: World) -> None:
    headers = world.requester.headers | {"Accept-Language": "pt"}
    (item,) = client.get(f"/api/v1/requests/{world.request.id}/triangles", headers=headers).json()["items"]
    codes = [r["code"] for r in item["reasons_detail"]]
    assert codes[:3] == ["window.covers_country", "window.pays", "window.cofinancing"]
    assert "Window covers" not in " ".join(item["reasons"]) and "Moçambique" in item["reasons"][0]


def test_the_offer_and_the_funder_ask_the_same_question_from_their_side(
    client: TestClient, world: World
) -> None:
    offer_side = client.get(f"/api/v1/offers/{world.offer.id}/triangles", headers=world.staff.headers).json()
    assert [(i["request"]["id"], i["window"]["id"]) for i in offer_side["items"]] == [
        (world.request.id, world.lusophone.id)
    ]
    # The funder's side reads the stored ranked lists: rank the request first.
    ranked = client.get(f"/api/v1/requests/{world.request.id}/matches", headers=world.staff.headers)
    assert ranked.status_code == 200
    pairs = client.get(f"/api/v1/funding-windows/{world.lusophone.id}/pairs", headers=world.funder.headers)
    assert pairs.status_code == 200, pairs.text
    assert [(i["request"]["id"], i["offer"]["id"]) for i in pairs.json()["items"]] == [
        (world.request.id, world.offer.id)
    ]
    none = client.get(f"/api/v1/funding-windows/{world.asia_only.id}/pairs", headers=world.funder.headers)
    assert none.json()["items"] == []


def test_others_may_not_ask_about_records_or_windows_not_theirs(client: TestClient, world: World) -> None:
    other = world.other.headers
    assert client.get(f"/api/v1/requests/{world.request.id}/triangles", headers=other).status_code in (
        403,
        404,
    )
    assert client.get(f"/api/v1/offers/{world.offer.id}/triangles", headers=other).status_code in (403, 404)
    assert client.get(f"/api/v1/funding-windows/{world.lusophone.id}/pairs", headers=other).status_code == 403
    assert client.get("/api/v1/requests/999999/triangles", headers=world.staff.headers).status_code == 404
