"""Portfolio plans through the API: capacities and envelopes respected, the greedy baseline beside the
exact total, what each request gave up, floors that cannot be met said so, and shortlisting lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.models import Match, MatchReview, PortfolioPlan
from tests.factories import (
    Caller,
    CallerFactory,
    make_funding_window,
    make_institution,
    make_offer,
    make_request,
)

URL = "/api/v1/plans"


@dataclass
class World:
    requests: list[int]
    offers: list[int]
    mozambique: int
    window: int
    staff: Caller
    broker: Caller
    institution: Caller


@pytest.fixture
def world(session: Session, caller: CallerFactory) -> World:
    text = {"title": "Community health workers", "description": "Train and deploy community health workers."}
    asking = [
        make_institution(session, name=f"Ministry of Health {c}", country=c, languages=["en"])
        for c in ("KEN", "MOZ", "GHA")
    ]
    requests = [
        make_request(session, i, languages=["en"], timeframe_start=date(2027, 3, 1), **text) for i in asking
    ]
    brazil = make_institution(session, name="Brazil health hub", country="BRA", languages=["en"])
    india = make_institution(session, name="India health mission", country="IND", languages=["en"])
    offers = [
        make_offer(session, brazil, capacity_per_year=1, cost_usd=10_000.0, **text),
        make_offer(session, india, capacity_per_year=1, cost_usd=12_000.0, **text),
    ]
    fund = make_institution(session, name="Triangular fund", country="JPN", kind="multilateral")
    window = make_funding_window(
        session, fund, receiving_countries=["MOZ"], receiving_regions=[], max_per_exchange_usd=50_000.0,
        envelope_usd=100_000.0,
    )  # fmt: skip
    return World(
        [r.id for r in requests], [o.id for o in offers], requests[1].id, window.id, caller("staff"),
        caller("broker"), caller("institution", asking[0]),
    )  # fmt: skip


def build(client: TestClient, who: Caller, **body: object) -> dict:  # type: ignore[type-arg]
    """A plan; weak fits allowed, since the test encoder labels every match weak."""
    response = client.post(URL, json={"include_weak": True} | body, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_plan_respects_capacities_and_says_who_was_displaced(client: TestClient, world: World) -> None:
    plan = build(client, world.staff, request_ids=world.requests)
    assert plan["solver_status"] == "optimal" and plan["n_requests"] == 3
    served = [line for line in plan["lines"] if line["offer"] is not None]
    assert len(served) == 2 == plan["n_served"]  # two offers of capacity 1 for three requests
    assert len({line["offer"]["id"] for line in served}) == 2
    assert plan["objective"] == pytest.approx(sum(line["score"] for line in served), abs=1e-3)
    assert plan["objective"] >= plan["greedy_objective"] - 1e-9
    (unserved,) = [line for line in plan["lines"] if line["offer"] is None]
    assert unserved["displaced"], "the request left out says what it would have taken"
    reason = unserved["displaced"][0]
    assert reason["reason"] in ("capacity", "tie") and reason["offer"]["id"] in world.offers
    if reason["reason"] == "capacity":
        assert reason["held_by"] and all(h["id"] in world.requests for h in reason["held_by"])
    # The what-if: one more offer where the unserved request is (health, Africa) would serve it.
    assert plan["unlock"][0] == {
        "sector_group": "120",
        "region": "002",
        "unserved": 1,
        "open": 1,
        "would_serve": 1,
    }
    again = client.get(f"{URL}/{plan['id']}", headers=world.broker.headers)
    assert again.status_code == 200 and again.json()["lines"] == plan["lines"]
    listed = client.get(URL, headers=world.staff.headers).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == plan["id"]


def test_required_funding_serves_only_pairs_a_window_may_finance(client: TestClient, world: World) -> None:
    plan = build(client, world.staff, request_ids=world.requests, funding="required")
    served = [line for line in plan["lines"] if line["offer"] is not None]
    assert [line["request"]["id"] for line in served] == [world.mozambique]
    (line,) = served
    assert line["window"]["id"] == world.window and line["needed_usd"] == pytest.approx(
        line["cost_usd"] * 0.8
    )
    assert [r["code"] for r in line["reasons"]][:2] == ["window.covers_country", "window.pays"]
    optional = build(client, world.staff, request_ids=world.requests, funding="optional")
    assert optional["n_served"] == 2
    funded = [x for x in optional["lines"] if x["window"] is not None]
    assert [x["request"]["id"] for x in funded] == [world.mozambique]


def test_a_floor_that_cannot_be_met_makes_the_plan_infeasible_and_says_which(
    client: TestClient, world: World
) -> None:
    plan = build(
        client, world.staff, request_ids=world.requests, floors=[{"region": "Africa", "min_served": 3}]
    )
    assert plan["solver_status"] == "infeasible" and plan["objective"] is None
    assert plan["shortfalls"][0]["group"] == "002" and plan["shortfalls"][0]["required"] == 3
    assert plan["n_served"] == 0 and all(line["offer"] is None for line in plan["lines"])


def test_staff_shortlist_chosen_lines_once(client: TestClient, session: Session, world: World) -> None:
    plan = build(client, world.staff, request_ids=world.requests)
    chosen = [line["id"] for line in plan["lines"] if line["offer"] is not None]
    done = client.post(
        f"{URL}/{plan['id']}/shortlist", json={"line_ids": chosen}, headers=world.staff.headers
    )
    assert done.status_code == 200, done.text
    lines = {line["id"]: line for line in done.json()["lines"]}
    assert all(lines[i]["shortlisted_at"] is not None for i in chosen)
    matches = [session.get_one(Match, lines[i]["match_id"]) for i in chosen]
    assert [m.status for m in matches] == ["shortlisted"] * len(chosen)
    twice = client.post(
        f"{URL}/{plan['id']}/shortlist", json={"line_ids": chosen}, headers=world.staff.headers
    )
    assert twice.status_code == 200
    notes = session.scalars(select(MatchReview.note).where(MatchReview.match_id.in_([m.id for m in matches])))
    assert list(notes) == [f"From plan {plan['id']} (Portfolio plan)"] * len(chosen)
    empty = [line["id"] for line in plan["lines"] if line["offer"] is None]
    refused = client.post(
        f"{URL}/{plan['id']}/shortlist", json={"line_ids": empty}, headers=world.staff.headers
    )
    assert refused.status_code == 422 and "with an offer" in refused.text
    brokers = client.post(
        f"{URL}/{plan['id']}/shortlist", json={"line_ids": chosen}, headers=world.broker.headers
    )
    assert brokers.status_code == 403


def test_bad_plans_are_refused_and_nothing_is_stored(
    client: TestClient, session: Session, world: World
) -> None:
    staff = world.staff.headers
    cases = [
        ({"request_ids": [999_999]}, "not open requests"),
        ({"request_ids": [world.requests[0], world.requests[0]]}, "listed twice"),
        ({"floors": [{"region": "Atlantis", "min_share": 0.5}]}, "region"),
        ({"floors": [{"region": "002"}]}, "exactly one"),
        ({"offers_per_request": 0}, "offers_per_request"),
        ({"funding": "sometimes"}, "funding"),
    ]
    for body, message in cases:
        response = client.post(URL, json=body, headers=staff)
        assert response.status_code == 422, (body, response.text)
        assert message in response.text, (message, response.text)
    assert client.post(URL, json={}, headers=world.institution.headers).status_code == 403
    assert session.scalars(select(PortfolioPlan)).all() == []


def test_a_plan_too_large_to_check_is_refused(
    client: TestClient, session: Session, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from broker.services import plans

    monkeypatch.setattr(plans, "MAX_WINDOW_CHECKS", 2)
    response = client.post(URL, json={"funding": "optional"}, headers=world.staff.headers)
    assert response.status_code == 422 and "combinations, more than 2" in response.text
    assert session.scalars(select(PortfolioPlan)).all() == []


def test_weak_fits_are_not_lines_unless_asked(client: TestClient, session: Session, world: World) -> None:
    off_topic = make_request(
        session,
        make_institution(session, name="Revenue authority", country="UGA", languages=["en"]),
        title="Widen the tax base",
        description="Value added tax compliance for small traders.",
        sectors=["15111"],
        languages=["en"],
    )
    strict = build(client, world.staff, request_ids=[off_topic.id], include_weak=False)
    assert strict["n_candidates"] == 0 and strict["n_served"] == 0
    assert strict["unlock"] == [
        {"sector_group": "150", "region": "002", "unserved": 1, "open": 1, "would_serve": 1}
    ]
    loose = build(client, world.staff, request_ids=[off_topic.id], include_weak=True)
    assert loose["n_candidates"] == 2  # the two offers, as weak candidates (scoring 0 here: off topic)
