"""Exchanges through the API: opening from an accepted match, edits by side, status moves, reports,
results and the CSV export."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from broker.models import Match
from tests.factories import (
    Caller,
    CallerFactory,
    make_hiv_catalogue,
    make_institution,
    make_offer,
    make_request,
)


@dataclass
class Pair:
    match_id: int
    staff: Caller
    requester: Caller
    provider: Caller
    other: Caller
    broker: Caller


@pytest.fixture
def pair(session: Session, caller: CallerFactory) -> Pair:
    kenya = make_institution(session, name="Kenya MoH", country="KEN")
    brazil = make_institution(session, name="Brazil MoH", country="BRA", languages=["pt"])
    peru = make_institution(session, name="Peru", country="PER", languages=["es"])
    request = make_request(session, kenya, budget_usd=20000, participants=5)
    offer = make_offer(session, brazil, modalities=["study_tour", "expert_visit"])
    match = Match(
        request_id=request.id, offer_id=offer.id, profile="default", score=0.7, rank=1, status="accepted"
    )
    session.add(match)
    session.flush()
    return Pair(
        match_id=match.id,
        staff=caller("staff"),
        requester=caller("institution", kenya),
        provider=caller("institution", brazil),
        other=caller("institution", peru),
        broker=caller("broker"),
    )


def _open(client: TestClient, pair: Pair) -> dict:
    response = client.post(f"/api/v1/matches/{pair.match_id}/exchange", json={}, headers=pair.staff.headers)
    assert response.status_code == 201, response.text
    return response.json()


def _move(client: TestClient, pair: Pair, ex: dict, status: str) -> dict:
    body = {"status": status, "version": ex["version"]}
    response = client.post(f"/api/v1/exchanges/{ex['id']}/status", json=body, headers=pair.staff.headers)
    assert response.status_code == 200, response.text
    return response.json()


REPORT = {
    "outcomes": ["enhanced_knowledge_skills"],
    "relevance": 5,
    "usefulness": 4,
    "version": 0,
    "adopted": "Un décret sur les cantines scolaires.",
    "evidence_links": ["https://example.org/d"],
}


def test_opening_takes_defaults_from_the_request_and_offer_and_records_history(
    client: TestClient, pair: Pair
) -> None:
    ex = _open(client, pair)
    assert ex["status"] == "planned" and ex["modalities"] == ["study_tour"]
    assert ex["participants"] == 5 and ex["budget_amount"] == 20000 and ex["budget_currency"] == "USD"
    [change] = ex["changes"]
    assert change["from_status"] is None and change["to_status"] == "planned"
    again = client.post(f"/api/v1/matches/{pair.match_id}/exchange", json={}, headers=pair.staff.headers)
    assert again.status_code == 409 and str(ex["id"]) in again.json()["detail"]


def test_a_match_not_accepted_opens_nothing(client: TestClient, pair: Pair, session: Session) -> None:
    session.get_one(Match, pair.match_id).status = "shortlisted"
    session.flush()
    response = client.post(f"/api/v1/matches/{pair.match_id}/exchange", json={}, headers=pair.staff.headers)
    assert response.status_code == 409
    assert client.get("/api/v1/exchanges", headers=pair.staff.headers).json()["total"] == 0


def test_bad_input_is_422_and_changes_nothing(client: TestClient, pair: Pair) -> None:
    url = f"/api/v1/matches/{pair.match_id}/exchange"
    for body in (
        {"modalities": ["teleportation"]},
        {"budget_currency": "US"},
        {"starts_on": "2027-03-10", "ends_on": "2027-03-01"},
        {"participants": -1},
        {"budget_amount": -5},
    ):
        assert client.post(url, json=body, headers=pair.staff.headers).status_code == 422, body
    assert client.get("/api/v1/exchanges", headers=pair.staff.headers).json()["total"] == 0


def test_sides_edit_their_own_fields_and_see_only_their_exchanges(client: TestClient, pair: Pair) -> None:
    ex = _open(client, pair)
    url = f"/api/v1/exchanges/{ex['id']}"
    ok = client.patch(
        url, json={"version": ex["version"], "provider_contact": "Ana"}, headers=pair.provider.headers
    )
    assert ok.status_code == 200 and ok.json()["provider_contact"] == "Ana"
    version = ok.json()["version"]
    wrong = client.patch(
        url, json={"version": version, "requester_contact": "X"}, headers=pair.provider.headers
    )
    assert wrong.status_code == 403
    null = {"version": version, "modalities": None}
    assert client.patch(url, json=null, headers=pair.staff.headers).status_code == 422
    stale = client.patch(url, json={"version": ex["version"], "participants": 3}, headers=pair.staff.headers)
    assert stale.status_code == 409
    assert client.get(url, headers=pair.other.headers).status_code == 404
    assert client.get("/api/v1/exchanges", headers=pair.other.headers).json()["total"] == 0
    assert client.get("/api/v1/exchanges", headers=pair.requester.headers).json()["total"] == 1
    history = client.get(url, headers=pair.requester.headers).json()["changes"]
    assert history[-1]["fields"] == ["provider_contact"] and history[0]["actor_name"] is None


def test_lifecycle_reports_results_and_export(client: TestClient, pair: Pair) -> None:
    ex = _open(client, pair)
    early = client.put(
        f"/api/v1/exchanges/{ex['id']}/reports/requester", json=REPORT, headers=pair.requester.headers
    )
    assert early.status_code == 409
    illegal = client.post(
        f"/api/v1/exchanges/{ex['id']}/status",
        json={"status": "completed", "version": ex["version"]},
        headers=pair.staff.headers,
    )
    assert illegal.status_code == 409
    assert (
        client.post(
            f"/api/v1/exchanges/{ex['id']}/status",
            json={"status": "under_way", "version": ex["version"]},
            headers=pair.broker.headers,
        ).status_code
        == 403
    )
    ex = _move(client, pair, _move(client, pair, ex, "under_way"), "completed")
    assert ex["completed_at"] is not None
    url = f"/api/v1/exchanges/{ex['id']}/reports"
    assert client.put(f"{url}/provider", json=REPORT, headers=pair.requester.headers).status_code == 403
    assert (
        client.put(
            f"{url}/requester", json={**REPORT, "relevance": 6}, headers=pair.requester.headers
        ).status_code
        == 422
    )
    bad_link = {**REPORT, "evidence_links": ["javascript:alert(1)"]}
    assert client.put(f"{url}/requester", json=bad_link, headers=pair.requester.headers).status_code == 422
    done = client.put(f"{url}/requester", json=REPORT, headers=pair.requester.headers)
    assert done.status_code == 200, done.text
    provider_report = {**REPORT, "outcomes": ["enhanced_networks"], "relevance": 3}
    assert (
        client.put(f"{url}/provider", json=provider_report, headers=pair.provider.headers).status_code == 200
    )
    assert (
        client.put(f"{url}/provider", json=provider_report, headers=pair.provider.headers).status_code == 409
    )
    results = client.get("/api/v1/results", headers=pair.staff.headers).json()
    assert results["by_status"]["completed"] == 1 and results["by_status"]["planned"] == 0
    [provider] = results["providers"]
    assert provider["name"] == "Brazil MoH" and provider["completed"] == 1 and provider["reports"] == 2
    assert provider["mean_relevance"] == 5 and provider["receiver_reports"] == 1
    assert {o["code"] for o in provider["outcomes"]} == {"enhanced_knowledge_skills", "enhanced_networks"}
    assert {r["code"] for r in results["by_region"]} == {"002", "019"}  # Africa, Americas
    assert results["by_sector_group"][0]["exchanges"] == 1
    assert client.get("/api/v1/results", headers=pair.provider.headers).status_code == 403
    csv = client.get("/api/v1/exchanges/export?format=csv", headers=pair.staff.headers)
    assert csv.status_code == 200 and csv.text.startswith("\ufeffid,status")
    assert "Brazil MoH" in csv.text and "completed" in csv.text
    assert "Brazil MoH" not in client.get("/api/v1/exchanges/export", headers=pair.other.headers).text


def test_a_completed_and_reported_exchange_shows_in_the_providers_next_match(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    """The loop closed through the API: an exchange opened, completed and reported by the receiver
    gives the provider's offer a track-record reason on another institution's request."""
    catalogue = make_hiv_catalogue(session)
    hiv, request = catalogue["hiv"], catalogue["request"]
    uganda = make_institution(session, name="Uganda MoH", country="UGA")
    earlier = make_request(session, uganda, sectors=["13040"])
    match = Match(
        request_id=earlier.id, offer_id=hiv.id, profile="default", score=0.7, rank=1, status="accepted"
    )
    session.add(match)
    session.flush()
    staff, receiver = caller("staff"), caller("institution", uganda)

    def reason_for_hiv() -> dict:
        listed = client.get(f"/api/v1/requests/{request.id}/matches", headers=staff.headers)
        assert listed.status_code == 200, listed.text
        (item,) = [i for i in listed.json()["items"] if i["offer_id"] == hiv.id]
        (reason,) = [r for r in item["reasons_detail"] if r["code"].startswith("track_record.")]
        return reason

    assert reason_for_hiv()["code"] == "track_record.none"
    opened = client.post(f"/api/v1/matches/{match.id}/exchange", json={}, headers=staff.headers).json()
    moving = {"status": "under_way", "version": opened["version"]}
    moved = client.post(f"/api/v1/exchanges/{opened['id']}/status", json=moving, headers=staff.headers).json()
    done = {"status": "completed", "version": moved["version"]}
    assert client.post(
        f"/api/v1/exchanges/{opened['id']}/status", json=done, headers=staff.headers
    ).is_success
    reported = client.put(f"/api/v1/exchanges/{opened['id']}/reports/requester", json=REPORT,
                          headers=receiver.headers)  # fmt: skip
    assert reported.status_code in (200, 201), reported.text
    reason = reason_for_hiv()
    assert reason["code"] == "track_record.topic" and reason["params"]["count"] == 1
    assert reason["params"]["rating"] == 4.5
