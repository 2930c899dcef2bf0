"""Every endpoint x every kind of caller, with the exact status expected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from broker.models import Exchange, Match
from tests.factories import (
    make_caller,
    make_funding_window,
    make_institution,
    make_offer,
    make_request,
    make_user,
)

ROLES = ["none", "revoked", "inst_a", "inst_b", "broker", "staff", "admin"]


@dataclass
class World:
    ids: dict[str, int]
    headers: dict[str, dict[str, str]]


@pytest.fixture
def world(session: Session) -> World:
    a = make_institution(session, name="Institution A", country="BRA", languages=["pt"])
    b = make_institution(session, name="Institution B", country="MOZ", languages=["pt"])
    c = make_institution(session, name="Institution C", country="IND", languages=["en"])
    empty = make_institution(session, name="No records", country="PER", languages=["es"])
    offer_a = make_offer(session, a)
    draft_a = make_offer(session, a, status="draft")
    offer_c = make_offer(session, c)
    request_a = make_request(session, a)
    draft_request_a = make_request(session, a, status="draft")
    match = Match(request_id=request_a.id, offer_id=offer_c.id, profile="default", score=0.5, rank=1)
    # the same offer matched to a request that went back to draft: only its own institution still reads it
    on_draft = Match(request_id=draft_request_a.id, offer_id=offer_c.id, profile="default", score=0.5, rank=1)
    offer_c2 = make_offer(session, c)
    accepted = Match(
        request_id=request_a.id, offer_id=offer_c2.id, profile="default", score=0.5, rank=2, status="accepted"
    )
    session.add_all([match, on_draft, accepted])
    session.flush()
    sides = {
        "request_id": request_a.id,
        "offer_id": offer_c.id,
        "requester_institution_id": a.id,
        "provider_institution_id": c.id,
    }
    exchange = Exchange(status="planned", modalities=[], **sides)
    exchange_done = Exchange(status="completed", modalities=[], **sides)
    session.add_all([exchange, exchange_done])
    session.flush()
    revoked = make_caller(session, "admin")
    spare = make_caller(session, "staff")
    from broker.services import keys

    callers = {
        "inst_a": make_caller(session, "institution", a),
        "inst_b": make_caller(session, "institution", b),
        "broker": make_caller(session, "broker"),
        "staff": make_caller(session, "staff"),
        "admin": make_caller(session, "admin"),
        "revoked": revoked,
    }
    keys.revoke_key(session, key_id=revoked.key_id)  # after another admin key exists: never the last
    headers = {role: c.headers for role, c in callers.items()} | {"none": {}}
    ids = {
        "a": a.id,
        "b": b.id,
        "empty": empty.id,
        "offer_a": offer_a.id,
        "draft_a": draft_a.id,
        "request_a": request_a.id,
        "draft_request_a": draft_request_a.id,
        "match": match.id,
        "match_on_draft": on_draft.id,
        "accepted": accepted.id,
        "exchange": exchange.id,
        "exchange_done": exchange_done.id,
        "spare_key": spare.key_id,
        "user_a": make_user(session, "institution", a, email="member@institution-a.org").id,
        "import_job": _broker_job(session, callers["broker"].key_id),
        "sub_a": _subscription(session, callers["inst_a"].key_id, a.id),
        "window_a": make_funding_window(session, a).id,  # A is a government: a funder
        "draft_window_a": make_funding_window(session, a, status="draft").id,
    }
    ids |= _plan(session, request_a.id, offer_c.id, match.id)
    return World(ids=ids, headers=headers)


def _broker_job(session: Session, key_id: int) -> int:
    from broker.models import ImportJob
    from broker.services.bulk.jobs import process_owner

    job = ImportJob(
        api_key_id=key_id, caller_name="broker", caller_role="broker", format="json", owner=process_owner()
    )
    session.add(job)
    session.flush()
    return job.id


def _plan(session: Session, request_id: int, offer_id: int, match_id: int) -> dict[str, int]:
    from broker.models import PortfolioLine, PortfolioPlan

    plan = PortfolioPlan(
        name="plan", profile="default", funding="none", offers_per_request=1, parameters={},
        solver_status="optimal", objective=0.5, bound=0.5, greedy_objective=0.5, greedy_meets_floors=True,
        solve_ms=1.0, n_requests=1, n_candidates=1, n_served=1, created_by_name="staff",
    )  # fmt: skip
    session.add(plan)
    session.flush()
    line = PortfolioLine(
        plan_id=plan.id,
        request_id=request_id,
        offer_id=offer_id,
        score=0.5,
        pair_score=0.5,
        match_id=match_id,
    )
    session.add(line)
    session.flush()
    return {"plan": plan.id, "plan_line": line.id}


def _subscription(session: Session, key_id: int, institution_id: int) -> int:
    from broker.models import Subscription

    sub = Subscription(
        name="A's hook",
        events=["match.reviewed"],
        channel="webhook",
        url="https://hooks.example.org/a",
        secret="whsec_x",
        owner_role="institution",
        owner_institution_id=institution_id,
        owner_key_id=key_id,
        owner_name="A",
    )
    session.add(sub)
    session.flush()
    return sub.id


def offer_body(ids: dict[str, int]) -> dict[str, Any]:
    return {
        "institution_id": ids["a"],
        "title": "Tax administration reform",
        "description": "A decade of reform.",
        "sectors": ["15111"],
        "modalities": ["expert_visit"],
    }


def request_body(ids: dict[str, int]) -> dict[str, Any]:
    return {
        "institution_id": ids["a"],
        "title": "Raise tax revenue",
        "description": "Our tax base is narrow.",
        "sectors": ["15111"],
    }


def window_body(ids: dict[str, int]) -> dict[str, Any]:
    return {
        "institution_id": ids["a"],
        "title": "Tax exchanges",
        "mandate": "Finances exchanges on tax administration.",
        "sectors": ["150"],
        "max_per_exchange_usd": 20000,
        "envelope_usd": 60000,
        "opens_on": "2027-01-01",
        "closes_on": "2027-06-30",
    }


EVEN = {"semantic": 1, "sector": 1, "region": 1, "modality": 1, "language": 1, "cost": 1}

# (method, path template, body factory or None, expected per role in ROLES order)
A = 401
CASES: list[tuple[str, str, Any, list[int]]] = [
    ("GET", "/health", None, [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/ready", None, [200, 200, 200, 200, 200, 200, 200]),
    ("GET", "/metrics", None, [A, A, 403, 403, 403, 200, 200]),
    ("GET", "/api/v1/me", None, [A, A, 200, 200, 200, 200, 200]),
    (
        "POST",
        "/api/v1/institutions",
        lambda ids: {"name": "New", "country": "GHA", "kind": "ngo", "languages": ["en"]},
        [A, A, 403, 403, 201, 403, 201],
    ),
    ("GET", "/api/v1/institutions", None, [A, A, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/institutions/{a}", None, [A, A, 200, 200, 200, 200, 200]),
    (
        "PATCH",
        "/api/v1/institutions/{a}",
        lambda ids: {"version": 1, "name": "A2"},
        [A, A, 403, 403, 200, 403, 200],
    ),
    (
        "PATCH",
        "/api/v1/institutions/{a}",
        lambda ids: {"version": 1, "kind": "multilateral"},
        [A, A, 403, 403, 200, 403, 200],
    ),
    (
        "PATCH",
        "/api/v1/institutions/{a}",
        lambda ids: {"version": 1, "contact_email": "desk@example.org", "languages": ["pt", "en"]},
        [A, A, 200, 403, 200, 403, 200],
    ),
    ("DELETE", "/api/v1/institutions/{empty}", None, [A, A, 403, 403, 204, 403, 204]),
    ("POST", "/api/v1/offers", offer_body, [A, A, 201, 403, 201, 403, 201]),
    ("GET", "/api/v1/offers", None, [A, A, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/offers/{offer_a}", None, [A, A, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/offers/{draft_a}", None, [A, A, 200, 404, 200, 200, 200]),
    (
        "PATCH",
        "/api/v1/offers/{offer_a}",
        lambda ids: {"version": 1, "title": "Renamed offer"},
        [A, A, 200, 403, 200, 403, 200],
    ),
    (
        "PATCH",
        "/api/v1/offers/{draft_a}",
        lambda ids: {"version": 1, "title": "Renamed draft"},
        [A, A, 200, 404, 200, 403, 200],
    ),
    ("DELETE", "/api/v1/offers/{offer_a}", None, [A, A, 204, 403, 204, 403, 204]),
    ("POST", "/api/v1/requests", request_body, [A, A, 201, 403, 201, 403, 201]),
    ("GET", "/api/v1/requests", None, [A, A, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/requests/{request_a}", None, [A, A, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/requests/{draft_request_a}", None, [A, A, 200, 404, 200, 200, 200]),
    (
        "PATCH",
        "/api/v1/requests/{request_a}",
        lambda ids: {"version": 1, "budget_usd": 5000},
        [A, A, 200, 403, 200, 403, 200],
    ),
    ("DELETE", "/api/v1/requests/{draft_request_a}", None, [A, A, 204, 404, 204, 403, 204]),
    ("GET", "/api/v1/matches/{match}", None, [A, A, 200, 404, 200, 200, 200]),
    ("GET", "/api/v1/matches/{match_on_draft}", None, [A, A, 200, 404, 200, 200, 200]),
    (
        "POST",
        "/api/v1/matches/{match}/reviews",
        lambda ids: {"status": "accepted", "note": "good fit"},
        [A, A, 403, 403, 403, 201, 201],
    ),
    # institutions signal on their own side only; staff read signals, they do not give them
    (
        "PUT",
        "/api/v1/matches/{match}/signal",
        lambda ids: {"signal": "interested"},
        [A, A, 200, 404, 403, 403, 403],
    ),
    (
        "PUT",
        "/api/v1/matches/{match_on_draft}/signal",
        lambda ids: {"signal": "not_relevant", "note": "not now"},
        [A, A, 200, 404, 403, 403, 403],
    ),
    # institutions read an assignment's status on requests they may read; the broker team sets it
    ("GET", "/api/v1/requests/{request_a}/assignment", None, [A, A, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/requests/{draft_request_a}/assignment", None, [A, A, 200, 404, 200, 200, 200]),
    (
        "PUT",
        "/api/v1/requests/{request_a}/assignment",
        lambda ids: {"status": "in_review", "version": 0},
        [A, A, 403, 403, 200, 200, 200],
    ),
    # exchanges: staff and admins open and move them; each side edits its own fields and reports
    ("POST", "/api/v1/matches/{accepted}/exchange", lambda ids: {}, [A, A, 403, 403, 403, 201, 201]),
    ("GET", "/api/v1/exchanges", None, [A, A, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/exchanges/export?format=csv", None, [A, A, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/exchanges/{exchange}", None, [A, A, 200, 404, 200, 200, 200]),
    (
        "PATCH",
        "/api/v1/exchanges/{exchange}",
        lambda ids: {"version": 1, "requester_contact": "Desk"},
        [A, A, 200, 404, 403, 200, 200],
    ),
    (
        "POST",
        "/api/v1/exchanges/{exchange}/status",
        lambda ids: {"status": "under_way", "version": 1},
        [A, A, 403, 403, 403, 200, 200],
    ),
    (
        "PUT",
        "/api/v1/exchanges/{exchange_done}/reports/requester",
        lambda ids: {"relevance": 4, "usefulness": 4, "version": 0},
        [A, A, 200, 404, 403, 200, 200],
    ),
    ("GET", "/api/v1/results", None, [A, A, 403, 403, 200, 200, 200]),
    # alert subscriptions: anyone signed in subscribes; each sees its own (an admin every one)
    (
        "POST",
        "/api/v1/subscriptions",
        lambda ids: {"name": "digest", "events": ["exchange.status"], "channel": "digest"},
        [A, A, 201, 201, 201, 201, 201],
    ),
    ("GET", "/api/v1/subscriptions", None, [A, A, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/subscriptions/{sub_a}", None, [A, A, 200, 404, 404, 404, 200]),
    (
        "PATCH",
        "/api/v1/subscriptions/{sub_a}",
        lambda ids: {"version": 1, "name": "renamed"},
        [A, A, 200, 404, 404, 404, 200],
    ),
    ("POST", "/api/v1/subscriptions/{sub_a}/secret", None, [A, A, 200, 404, 404, 404, 200]),
    ("GET", "/api/v1/subscriptions/{sub_a}/deliveries", None, [A, A, 200, 404, 404, 404, 200]),
    ("DELETE", "/api/v1/subscriptions/{sub_a}", None, [A, A, 204, 404, 404, 404, 204]),
    # funding windows: a funder writes its own, staff and admins any; everyone reads open ones
    ("POST", "/api/v1/funding-windows", window_body, [A, A, 201, 403, 403, 201, 201]),
    ("GET", "/api/v1/funding-windows", None, [A, A, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/funding-windows/{window_a}", None, [A, A, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/funding-windows/{draft_window_a}", None, [A, A, 200, 404, 200, 200, 200]),
    (
        "PATCH",
        "/api/v1/funding-windows/{window_a}",
        lambda ids: {"version": 1, "title": "Renamed window"},
        [A, A, 200, 403, 403, 200, 200],
    ),
    (
        "PATCH",
        "/api/v1/funding-windows/{draft_window_a}",
        lambda ids: {"version": 1, "status": "open"},
        [A, A, 200, 404, 403, 200, 200],
    ),
    ("DELETE", "/api/v1/funding-windows/{draft_window_a}", None, [A, A, 204, 404, 403, 204, 204]),
    ("POST", "/api/v1/keys", lambda ids: {"name": "k", "role": "staff"}, [A, A, 403, 403, 403, 403, 201]),
    ("GET", "/api/v1/keys", None, [A, A, 403, 403, 403, 403, 200]),
    ("GET", "/api/v1/audit-events", None, [A, A, 403, 403, 403, 403, 200]),
    ("DELETE", "/api/v1/keys/{spare_key}", None, [A, A, 403, 403, 403, 403, 200]),
    # people's accounts: admins (and institution administrators, which are users, not keys)
    ("GET", "/api/v1/users", None, [A, A, 403, 403, 403, 403, 200]),
    (
        "POST",
        "/api/v1/users/invitations",
        lambda ids: {"email": "new@example.org", "display_name": "New", "role": "staff"},
        [A, A, 403, 403, 403, 403, 201],
    ),
    ("GET", "/api/v1/users/{user_a}", None, [A, A, 403, 403, 403, 403, 200]),
    ("POST", "/api/v1/users/{user_a}/reset-link", None, [A, A, 403, 403, 403, 403, 200]),
    ("POST", "/api/v1/users/{user_a}/disable", None, [A, A, 403, 403, 403, 403, 200]),
    ("POST", "/api/v1/users/{user_a}/enable", None, [A, A, 403, 403, 403, 403, 200]),
    ("GET", "/api/v1/requests/{request_a}/matches", None, [A, A, 200, 403, 200, 200, 200]),
    ("GET", "/api/v1/requests/{draft_request_a}/matches", None, [A, A, 200, 404, 200, 200, 200]),
    ("GET", "/api/v1/offers/{offer_a}/matches", None, [A, A, 200, 403, 200, 200, 200]),
    # triangular matching: the record's own institution or the team; a window's funder or the team
    ("GET", "/api/v1/requests/{request_a}/triangles", None, [A, A, 200, 403, 200, 200, 200]),
    ("GET", "/api/v1/requests/{draft_request_a}/triangles", None, [A, A, 200, 404, 200, 200, 200]),
    ("GET", "/api/v1/offers/{offer_a}/triangles", None, [A, A, 200, 403, 200, 200, 200]),
    ("GET", "/api/v1/funding-windows/{window_a}/pairs", None, [A, A, 200, 403, 200, 200, 200]),
    # portfolio plans: staff, brokers and admins build and read them; staff and admins shortlist
    ("POST", "/api/v1/plans", lambda ids: {}, [A, A, 403, 403, 201, 201, 201]),
    ("GET", "/api/v1/plans", None, [A, A, 403, 403, 200, 200, 200]),
    ("GET", "/api/v1/plans/{plan}", None, [A, A, 403, 403, 200, 200, 200]),
    (
        "POST",
        "/api/v1/plans/{plan}/shortlist",
        lambda ids: {"line_ids": [ids["plan_line"]]},
        [A, A, 403, 403, 403, 200, 200],
    ),
    (
        "POST",
        "/api/v1/match",
        lambda ids: {
            "title": "Raise tax revenue",
            "description": "Our tax base is narrow.",
            "country": "KEN",
            "sectors": ["15111"],
        },
        [A, A, 200, 200, 200, 200, 200],
    ),
    (
        "POST",
        "/api/v1/import?format=json&kind=institutions",
        lambda ids: [
            {"external_id": "imp-1", "name": "Imported", "country": "GHA", "kind": "ngo", "languages": ["en"]}
        ],
        [A, A, 403, 403, 200, 403, 200],
    ),
    ("GET", "/api/v1/export?kind=offers", None, [A, A, 403, 403, 200, 200, 200]),
    # the broker's own job; an admin reads every job
    ("GET", "/api/v1/import-jobs/{import_job}", None, [A, A, 403, 403, 200, 403, 200]),
    ("GET", "/api/v1/import-jobs", None, [A, A, 403, 403, 200, 403, 200]),
    (
        "POST",
        "/api/v1/suggest",
        lambda ids: {"title": "Raise tax revenue", "description": "Our tax base is narrow."},
        [A, A, 200, 200, 200, 200, 200],
    ),
    # with no decisions stored, staff and admin get the "too few decisions" 422
    ("POST", "/api/v1/scoring-profiles/learned/learn", None, [A, A, 403, 403, 403, 422, 422]),
    ("GET", "/api/v1/scoring-profiles", None, [A, A, 200, 200, 200, 200, 200]),
    ("GET", "/api/v1/scoring-profiles/default", None, [A, A, 200, 200, 200, 200, 200]),
    (
        "PUT",
        "/api/v1/scoring-profiles/cheap",
        lambda ids: {"weights": {**EVEN, "cost": 3}},
        [A, A, 403, 403, 403, 200, 200],
    ),
    *[
        ("GET", f"/api/v1/taxonomy/{name}", None, [A, A, 200, 200, 200, 200, 200])
        for name in ("sectors", "sdgs", "countries", "regions", "languages", "modalities", "outcomes")
    ],
]

PARAMS = [
    pytest.param(method, path, body, role, codes[i], id=f"{method} {path} as {role}")
    for method, path, body, codes in CASES
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("method", "path", "body", "role", "expected"), PARAMS)
def test_access(
    client: TestClient, world: World, method: str, path: str, body: Any, role: str, expected: int
) -> None:
    url = path.format(**world.ids)
    payload = body(world.ids) if body else None
    response = client.request(method, url, json=payload, headers=world.headers[role])
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert set(response.json()) == {"error", "detail"}


def test_expired_key_is_refused(client: TestClient, session: Session) -> None:
    from broker.models import ApiKey

    caller = make_caller(session, "staff")
    row = session.get(ApiKey, caller.key_id)
    assert row is not None
    row.expires_at = datetime(2020, 1, 1, tzinfo=UTC)
    session.flush()
    response = client.get("/api/v1/me", headers=caller.headers)
    assert response.status_code == 401 and "expired" in response.json()["detail"]
