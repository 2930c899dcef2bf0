"""Funding windows through the API: validation against the reference lists, who may publish and read
them, optimistic concurrency, the mandate's embedding, and what the exchanges they finance commit."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.models import Embedding, Exchange, FundingWindow, Match
from broker.ranking.embedding import text_hash
from broker.ranking.embedding.store import window_text
from broker.services.funding import window_mandate_vector
from tests.factories import (
    Caller,
    CallerFactory,
    make_institution,
    make_offer,
    make_request,
)

URL = "/api/v1/funding-windows"


@dataclass
class Funders:
    fund_id: int
    other_fund_id: int
    ngo_id: int
    fund: Caller
    other_fund: Caller
    ngo: Caller
    staff: Caller
    broker: Caller


@pytest.fixture
def funders(session: Session, caller: CallerFactory) -> Funders:
    fund = make_institution(session, name="Triangular fund", country="BRA", kind="multilateral")
    other = make_institution(session, name="Agency of Japan", country="JPN", kind="government")
    ngo = make_institution(session, name="Health NGO", country="KEN", kind="ngo")
    return Funders(
        fund_id=fund.id,
        other_fund_id=other.id,
        ngo_id=ngo.id,
        fund=caller("institution", fund),
        other_fund=caller("institution", other),
        ngo=caller("institution", ngo),
        staff=caller("staff"),
        broker=caller("broker"),
    )


def body(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": "South-South health exchanges",
        "mandate": "Finances peer exchanges that strengthen primary health care in low-income countries.",
        "sectors": ["120", "13040"],
        "receiving_countries": ["Kenya", "MZ"],
        "receiving_regions": ["002"],
        "receiving_income_levels": ["low", "Lower middle"],
        "providing_countries": ["BRA"],
        "providing_income_levels": ["Upper middle"],
        "modalities": ["study_tour"],
        "max_per_exchange_usd": 30000,
        "envelope_usd": 100000,
        "cofinancing_share": 0.25,
        "opens_on": "2027-01-01",
        "closes_on": "2027-12-31",
    }
    return values | overrides


def _create(client: TestClient, who: Caller, **overrides: Any) -> dict[str, Any]:
    response = client.post(URL, json=body(**overrides), headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _total(client: TestClient, who: Caller) -> int:
    return int(client.get(URL, headers=who.headers).json()["total"])


def test_a_funder_publishes_its_window_with_codes_normalised_and_its_mandate_embedded(
    client: TestClient, session: Session, funders: Funders
) -> None:
    window = _create(client, funders.fund)
    assert window["institution_id"] == funders.fund_id and window["status"] == "open"
    assert window["receiving_countries"] == ["KEN", "MOZ"]
    assert window["receiving_income_levels"] == ["Low", "Lower middle"]
    assert window["sectors"] == ["120", "13040"] and window["external_id"].startswith("window-")
    assert window["text_language"] == "en" and window["text_language_detected"] is True
    assert window["committed_usd"] == 0 and window["remaining_usd"] == 100000
    assert client.get(f"{URL}/{window['id']}", headers=funders.ngo.headers).json()["title"] == window["title"]
    engine = client.app.state.match_engine  # type: ignore[attr-defined]
    stored = session.get_one(FundingWindow, window["id"])
    digest = text_hash(window_text(stored), engine.encoder.model_id)
    row = session.scalar(select(Embedding).where(Embedding.text_hash == digest))
    assert row is not None
    vector = window_mandate_vector(session, stored, engine)
    np.testing.assert_array_equal(vector, np.frombuffer(row.vector, dtype=np.float32))


def test_a_changed_mandate_gets_its_own_embedding(
    client: TestClient, session: Session, funders: Funders
) -> None:
    window = _create(client, funders.fund)
    before = session.scalar(select(func.count()).select_from(Embedding)) or 0
    changed = {
        "version": window["version"],
        "mandate": "Finance des échanges sur la santé maternelle en Afrique.",
    }
    response = client.patch(f"{URL}/{window['id']}", json=changed, headers=funders.fund.headers)
    assert response.status_code == 200, response.text
    assert response.json()["text_language"] == "fr"
    assert session.scalar(select(func.count()).select_from(Embedding)) == before + 1


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"sectors": ["121"]}, "did you mean 120"),  # a category, not a group
        ({"sectors": ["99999"]}, "unknown sector"),
        ({"sectors": ["120", "120"]}, "duplicate"),
        ({"receiving_countries": ["Atlantis"]}, "unknown country"),
        ({"providing_regions": ["999"]}, "unknown region"),
        ({"receiving_income_levels": ["Middle"]}, "unknown income level"),
        ({"modalities": ["teleportation"]}, "unknown modality"),
        ({"max_per_exchange_usd": 0}, "greater than 0"),
        ({"envelope_usd": -5}, "greater than 0"),
        ({"envelope_usd": 1000}, "envelope_usd must be at least max_per_exchange_usd"),
        ({"closes_on": "2026-12-31"}, "closes_on must not be before opens_on"),
        ({"cofinancing_share": 1}, "less than 1"),
        ({"cofinancing_share": -0.1}, "greater than or equal to 0"),
        ({"max_per_exchange_usd": "30000"}, "must be a number"),
        ({"status": "published"}, "draft"),
        ({"institution_id": None}, "required for staff and admin callers"),
        ({"institution_id": 2_000_000_000}, "does not exist"),
    ],
)
def test_bad_input_is_a_clear_422_and_changes_nothing(
    client: TestClient, funders: Funders, overrides: dict[str, Any], says: str
) -> None:
    payload = body(institution_id=funders.fund_id) | overrides
    response = client.post(URL, json=payload, headers=funders.staff.headers)
    assert response.status_code == 422, response.text
    assert says in str(response.json()["detail"])
    assert _total(client, funders.staff) == 0


def test_only_multilateral_government_and_private_institutions_fund(
    client: TestClient, funders: Funders
) -> None:
    by_staff = client.post(URL, json=body(institution_id=funders.ngo_id), headers=funders.staff.headers)
    assert by_staff.status_code == 422 and "of kind ngo" in str(by_staff.json()["detail"])
    by_itself = client.post(URL, json=body(), headers=funders.ngo.headers)
    assert by_itself.status_code == 422 and "of kind ngo" in str(by_itself.json()["detail"])
    assert _create(client, funders.staff, institution_id=funders.other_fund_id)["institution_id"] == (
        funders.other_fund_id
    )
    assert _total(client, funders.staff) == 1


def test_an_institution_writes_only_its_own_windows_and_reads_others_open_ones(
    client: TestClient, funders: Funders
) -> None:
    assert client.post(URL, json=body(institution_id=funders.other_fund_id),
                       headers=funders.fund.headers).status_code == 403  # fmt: skip
    assert client.post(URL, json=body(institution_id=funders.fund_id),
                       headers=funders.broker.headers).status_code == 403  # fmt: skip
    open_one = _create(client, funders.fund)
    draft = _create(client, funders.fund, status="draft", title="Next year's window")
    change = {"version": 1, "title": "Taken over"}
    assert (
        client.patch(f"{URL}/{open_one['id']}", json=change, headers=funders.other_fund.headers).status_code
        == 403
    )
    assert (
        client.patch(f"{URL}/{draft['id']}", json=change, headers=funders.other_fund.headers).status_code
        == 404
    )
    assert client.delete(f"{URL}/{open_one['id']}", headers=funders.other_fund.headers).status_code == 403
    assert client.get(f"{URL}/{draft['id']}", headers=funders.ngo.headers).status_code == 404
    assert _total(client, funders.ngo) == 1 and _total(client, funders.fund) == 2
    assert _total(client, funders.broker) == 2 and _total(client, funders.staff) == 2
    staff_edit = client.patch(f"{URL}/{draft['id']}", json=change, headers=funders.staff.headers)
    assert staff_edit.status_code == 200 and staff_edit.json()["title"] == "Taken over"
    assert client.delete(f"{URL}/{open_one['id']}", headers=funders.fund.headers).status_code == 204
    assert client.get(f"{URL}/{open_one['id']}", headers=funders.fund.headers).status_code == 404


def test_a_stale_version_is_a_conflict_and_a_bad_combination_a_422(
    client: TestClient, funders: Funders
) -> None:
    window = _create(client, funders.fund)
    url = f"{URL}/{window['id']}"
    first = client.patch(url, json={"version": 1, "envelope_usd": 200000}, headers=funders.fund.headers)
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = client.patch(url, json={"version": 1, "envelope_usd": 50000}, headers=funders.staff.headers)
    assert stale.status_code == 409 and stale.json()["error"] == "stale_version"
    for change in (
        {"max_per_exchange_usd": 300000},  # above the stored envelope
        {"closes_on": "2026-06-30"},  # before the stored opening
        {"title": None},
        {"sectors": ["12"]},
    ):
        refused = client.patch(url, json={"version": 2, **change}, headers=funders.fund.headers)
        assert refused.status_code == 422, (change, refused.text)
    after = client.get(url, headers=funders.fund.headers).json()
    assert (
        after["version"] == 2 and after["envelope_usd"] == 200000 and after["max_per_exchange_usd"] == 30000
    )


def test_list_filters_by_funder_status_sector_and_region(
    client: TestClient, session: Session, funders: Funders
) -> None:
    health = _create(client, funders.fund)
    water = _create(client, funders.staff, institution_id=funders.other_fund_id, sectors=["14010"],
                    receiving_regions=["419"], status="closed", title="Water in Latin America")  # fmt: skip

    def ids(**params: Any) -> list[int]:
        found = client.get(URL, params=params, headers=funders.staff.headers)
        assert found.status_code == 200, found.text
        return [w["id"] for w in found.json()["items"]]

    assert ids(sector="12220") == [health["id"]]  # in the Health group (120) the window names
    assert ids(sector="13040") == [health["id"]] and ids(sector="140") == [water["id"]]  # 14010's group
    assert ids(sector="130") == [health["id"]] and ids(sector="110") == []
    assert ids(sector="14010") == [water["id"]]
    assert ids(region="419") == [water["id"]] and ids(region="002") == [health["id"]]
    assert ids(status="closed") == [water["id"]] and ids(institution_id=funders.fund_id) == [health["id"]]
    assert client.get(URL, params={"sector": "12x"}, headers=funders.staff.headers).status_code == 422
    page = client.get(URL, params={"limit": 1}, headers=funders.staff.headers).json()
    assert page["total"] == 2 and len(page["items"]) == 1 and page["links"]["next"]


@pytest.fixture
def accepted_match(session: Session) -> int:
    kenya = make_institution(session, name="Kenya MoH", country="KEN")
    brazil = make_institution(session, name="Brazil MoH", country="BRA", languages=["pt"])
    match = Match(
        request_id=make_request(session, kenya, budget_usd=20000).id,
        offer_id=make_offer(session, brazil).id,
        profile="default",
        score=0.7,
        rank=1,
        status="accepted",
    )
    session.add(match)
    session.flush()
    return match.id


def test_exchanges_financed_by_a_window_commit_its_envelope(
    client: TestClient, session: Session, funders: Funders, accepted_match: int
) -> None:
    window = _create(client, funders.fund)
    draft = _create(client, funders.fund, status="draft")
    opening = f"/api/v1/matches/{accepted_match}/exchange"
    for refused in (
        {"funding_window_id": draft["id"]},
        {"funding_window_id": 2_000_000_000},
        {"funding_window_id": window["id"], "budget_currency": "EUR"},
    ):
        answer = client.post(opening, json=refused, headers=funders.staff.headers)
        assert answer.status_code == 422 and "funding" in answer.text, answer.text
    opened = client.post(opening, json={"funding_window_id": window["id"]}, headers=funders.staff.headers)
    assert opened.status_code == 201, opened.text
    exchange = opened.json()
    assert exchange["funding_window_id"] == window["id"] and exchange["budget_amount"] == 20000
    # another exchange of the window, cancelled: its budget is not committed
    first = session.get_one(Exchange, exchange["id"])
    cancelled = Exchange(request_id=first.request_id, offer_id=first.offer_id, status="cancelled",
                         requester_institution_id=first.requester_institution_id,
                         provider_institution_id=first.provider_institution_id,
                         budget_amount=9000, funding_window_id=window["id"])  # fmt: skip
    session.add(cancelled)
    session.flush()
    read = client.get(f"{URL}/{window['id']}", headers=funders.ngo.headers).json()
    assert read["committed_usd"] == 20000 and read["remaining_usd"] == 80000
    listed = client.get(URL, headers=funders.staff.headers).json()["items"]
    assert [w["committed_usd"] for w in listed] == [20000, 0]
    raised = {"version": exchange["version"], "budget_amount": 25000}
    assert client.patch(f"/api/v1/exchanges/{exchange['id']}", json=raised,
                        headers=funders.staff.headers).status_code == 200  # fmt: skip
    assert client.get(f"{URL}/{window['id']}", headers=funders.fund.headers).json()["remaining_usd"] == 75000
    in_use = client.delete(f"{URL}/{window['id']}", headers=funders.fund.headers)
    assert in_use.status_code == 409 and "close it instead" in in_use.json()["detail"]
    assert client.delete(f"{URL}/{draft['id']}", headers=funders.fund.headers).status_code == 204


def test_the_exchange_export_names_the_window_that_finances_it(
    client: TestClient, funders: Funders, accepted_match: int
) -> None:
    window = _create(client, funders.fund)
    opened = client.post(
        f"/api/v1/matches/{accepted_match}/exchange",
        json={"funding_window_id": window["id"]},
        headers=funders.staff.headers,
    )
    assert opened.status_code == 201, opened.text
    exported = client.get("/api/v1/exchanges/export?format=csv", headers=funders.staff.headers).text
    (row,) = csv.DictReader(io.StringIO(exported.lstrip("\ufeff")))
    assert row["funding_window_id"] == str(window["id"])
