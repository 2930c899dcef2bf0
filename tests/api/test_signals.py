"""PUT /api/v1/matches/{id}/signal: an institution's word on a match of its own, read by staff."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.models import Match, MatchSignal
from tests.factories import Caller, make_caller, make_institution, make_offer, make_request


@dataclass
class Pair:
    match_id: int
    requester: Caller
    offerer: Caller
    other: Caller
    staff: Caller


@pytest.fixture
def pair(session: Session) -> Pair:
    kenya = make_institution(session, name="Kenya MoH", country="KEN")
    brazil = make_institution(session, name="Brazil MoH", country="BRA", languages=["pt"])
    peru = make_institution(session, name="Peru MoE", country="PER", languages=["es"])
    request = make_request(session, kenya)
    offer = make_offer(session, brazil)
    match = Match(request_id=request.id, offer_id=offer.id, profile="default", score=0.6, rank=1)
    session.add(match)
    session.flush()
    return Pair(
        match_id=match.id,
        requester=make_caller(session, "institution", kenya),
        offerer=make_caller(session, "institution", brazil),
        other=make_caller(session, "institution", peru),
        staff=make_caller(session, "staff"),
    )


def _put(client: TestClient, pair: Pair, caller: Caller, body: object) -> dict[str, Any]:
    response = client.put(f"/api/v1/matches/{pair.match_id}/signal", json=body, headers=caller.headers)
    return {"status": response.status_code, "body": response.json()}


def _stored(session: Session, match_id: int) -> int:
    return session.scalar(select(func.count()).where(MatchSignal.match_id == match_id)) or 0


def test_each_side_signals_for_itself_and_staff_see_both(
    client: TestClient, session: Session, pair: Pair
) -> None:
    given = _put(client, pair, pair.requester, {"signal": "interested", "note": "  a good peer  "})
    assert given["status"] == 200
    assert given["body"]["side"] == "requester" and given["body"]["note"] == "a good peer"
    assert _put(client, pair, pair.offerer, {"signal": "not_relevant"})["body"]["side"] == "offerer"

    seen = client.get(f"/api/v1/matches/{pair.match_id}", headers=pair.staff.headers).json()
    assert [(s["side"], s["signal"]) for s in seen["signals"]] == [
        ("requester", "interested"),
        ("offerer", "not_relevant"),
    ]
    assert all(s["at"] for s in seen["signals"])


def test_an_institution_reads_only_its_own_sides_signal(client: TestClient, pair: Pair) -> None:
    _put(client, pair, pair.requester, {"signal": "interested"})
    _put(client, pair, pair.offerer, {"signal": "not_relevant"})
    seen = client.get(f"/api/v1/matches/{pair.match_id}", headers=pair.offerer.headers).json()
    assert [(s["side"], s["signal"]) for s in seen["signals"]] == [("offerer", "not_relevant")]


def test_the_latest_signal_wins_and_the_history_is_kept(
    client: TestClient, session: Session, pair: Pair
) -> None:
    _put(client, pair, pair.requester, {"signal": "interested"})
    _put(client, pair, pair.requester, {"signal": "not_relevant", "note": "the budget is too small"})
    seen = client.get(f"/api/v1/matches/{pair.match_id}", headers=pair.staff.headers).json()
    assert [(s["signal"], s["note"]) for s in seen["signals"]] == [
        ("not_relevant", "the budget is too small")
    ]
    assert _stored(session, pair.match_id) == 2


def test_repeating_the_latest_signal_stores_nothing_new(
    client: TestClient, session: Session, pair: Pair
) -> None:
    first = _put(client, pair, pair.requester, {"signal": "interested"})
    again = _put(client, pair, pair.requester, {"signal": "interested"})
    assert first["body"] == again["body"]
    assert _stored(session, pair.match_id) == 1


@pytest.mark.parametrize(
    ("who", "status"), [("other", 404), ("staff", 403)], ids=["another institution", "staff"]
)
def test_only_the_pairs_institutions_may_signal(
    client: TestClient, session: Session, pair: Pair, who: str, status: int
) -> None:
    answer = _put(client, pair, getattr(pair, who), {"signal": "interested"})
    assert answer["status"] == status and set(answer["body"]) == {"error", "detail"}
    assert _stored(session, pair.match_id) == 0


@pytest.mark.parametrize(
    "body",
    [{"signal": "maybe"}, {}, {"signal": "interested", "note": "x" * 2001}, {"signal": "interested", "x": 1}],
    ids=["unknown signal", "no signal", "note too long", "unknown field"],
)
def test_a_bad_signal_is_a_422_and_stores_nothing(
    client: TestClient, session: Session, pair: Pair, body: object
) -> None:
    answer = _put(client, pair, pair.requester, body)
    assert answer["status"] == 422 and answer["body"]["error"] == "validation_error"
    assert _stored(session, pair.match_id) == 0


def test_a_match_that_does_not_exist_is_a_404(client: TestClient, pair: Pair) -> None:
    response = client.put(
        "/api/v1/matches/999999/signal", json={"signal": "interested"}, headers=pair.requester.headers
    )
    assert response.status_code == 404
