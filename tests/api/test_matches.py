"""What each role sees of a match: institutions get the decision and the note written for them only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from broker.models import Institution, Match
from tests.factories import CallerFactory, make_institution, make_offer, make_request


def _pair(session: Session) -> tuple[Match, dict[str, int], dict[str, Institution]]:
    asker = make_institution(session, name="Asker", country="MOZ", languages=["pt"])
    giver = make_institution(session, name="Giver", country="BRA", languages=["pt"])
    request = make_request(session, asker)
    offer = make_offer(session, giver)
    match = Match(request_id=request.id, offer_id=offer.id, profile="default", score=0.7, rank=1)
    session.add(match)
    session.flush()
    return match, {"request": request.id, "offer": offer.id}, {"asker": asker, "giver": giver}


def _review(client: TestClient, staff: dict[str, str], match_id: int) -> None:
    body = {
        "status": "accepted",
        "note": "INTERNAL: their budget is soft",
        "note_for_institutions": "We will put you in touch this week.",
    }
    response = client.post(f"/api/v1/matches/{match_id}/reviews", json=body, headers=staff)
    assert response.status_code == 201, response.text


def test_institutions_see_the_decision_and_their_note_but_no_staff_note_or_reviewer(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    match, _, sides = _pair(session)
    staff = caller("staff").headers
    _review(client, staff, match.id)
    for side in sides.values():
        seen = client.get(f"/api/v1/matches/{match.id}", headers=caller("institution", side).headers)
        assert seen.status_code == 200, seen.text
        (review,) = seen.json()["reviews"]
        assert review["status"] == "accepted"
        assert review["note_for_institutions"] == "We will put you in touch this week."
        assert (
            review["note"] is None and review["reviewer_name"] is None and review["reviewer_key_id"] is None
        )
        assert "INTERNAL" not in seen.text and "test staff" not in seen.text

    (review,) = client.get(f"/api/v1/matches/{match.id}", headers=staff).json()["reviews"]
    assert review["note"] == "INTERNAL: their budget is soft" and review["reviewer_name"] == "test staff"


def test_a_match_is_gone_for_the_offer_side_once_its_request_is_a_draft_again(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    match, ids, sides = _pair(session)
    asker = caller("institution", sides["asker"]).headers
    giver = caller("institution", sides["giver"]).headers
    assert client.get(f"/api/v1/matches/{match.id}", headers=giver).status_code == 200
    patched = client.patch(
        f"/api/v1/requests/{ids['request']}", json={"version": 1, "status": "draft"}, headers=asker
    )
    assert patched.status_code == 200, patched.text
    assert client.get(f"/api/v1/matches/{match.id}", headers=giver).status_code == 404
    assert client.get(f"/api/v1/matches/{match.id}", headers=asker).status_code == 200


def test_an_offer_made_a_draft_leaves_the_other_sides_match_and_stored_list(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    match, ids, sides = _pair(session)
    asker = caller("institution", sides["asker"]).headers
    giver = caller("institution", sides["giver"]).headers
    staff = caller("staff").headers
    closed = client.patch(
        f"/api/v1/requests/{ids['request']}", json={"version": 1, "status": "closed"}, headers=asker
    )
    assert closed.status_code == 200, closed.text
    listed = client.get(f"/api/v1/requests/{ids['request']}/matches", headers=asker).json()
    assert [item["offer_id"] for item in listed["items"]] == [ids["offer"]]

    drafted = client.patch(
        f"/api/v1/offers/{ids['offer']}", json={"version": 1, "status": "draft"}, headers=giver
    )
    assert drafted.status_code == 200, drafted.text
    assert client.get(f"/api/v1/matches/{match.id}", headers=asker).status_code == 404
    listed = client.get(f"/api/v1/requests/{ids['request']}/matches", headers=asker).json()
    assert listed["items"] == [] and listed["recomputed"] is False
    assert client.get(f"/api/v1/matches/{match.id}", headers=giver).status_code == 200
    staff_list = client.get(f"/api/v1/requests/{ids['request']}/matches", headers=staff).json()
    assert [item["offer_id"] for item in staff_list["items"]] == [ids["offer"]]
