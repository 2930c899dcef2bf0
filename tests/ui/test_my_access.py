"""Every institution page x every kind of viewer, with the exact answer (the JSON API's matrix is in
tests/api/test_access_matrix.py; these pages are not in the OpenAPI schema)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from broker.models import Exchange, Match
from tests.factories import make_caller, make_funding_window, make_institution, make_offer, make_request
from tests.ui.conftest import signed_in

ROLES = ["none", "inst_a", "inst_b", "staff", "broker"]
SIGN_IN = "/ui/sign-in"
MINE = "/ui/my/"
STAFF_HOME = "/ui/requests"


def _record(ids: dict[str, int]) -> dict[str, str]:
    return {
        "action": "save",
        "title": "Raise tax revenue",
        "description": "Our tax base is narrow and collection is slow.",
        "sectors": "15111",
        "status": "open",
        "version": "1",
    }


def _window(ids: dict[str, int]) -> dict[str, Any]:
    return {
        "title": "Tax exchanges",
        "mandate": "Finances exchanges on tax administration.",
        "max_per_exchange_usd": "20000",
        "envelope_usd": "60000",
        "opens_on": "2027-01-01",
        "closes_on": "2027-06-30",
        "status": "open",
        "version": "1",
    }


# (method, path, form or None, expected per role in ROLES order: status, or (303, where it leads))
CASES: list[tuple[str, str, Any, list[Any]]] = [
    (
        "GET",
        "/ui/my/",
        None,
        [(303, SIGN_IN), (303, MINE), (303, MINE), (303, STAFF_HOME), (303, STAFF_HOME)],
    ),
    ("GET", "/ui/my/requests", None, [(303, SIGN_IN), 200, 200, (303, STAFF_HOME), (303, STAFF_HOME)]),
    ("GET", "/ui/my/offers", None, [(303, SIGN_IN), 200, 200, (303, STAFF_HOME), (303, STAFF_HOME)]),
    ("GET", "/ui/my/requests/new", None, [(303, SIGN_IN), 200, 200, (303, STAFF_HOME), (303, STAFF_HOME)]),
    (
        "GET",
        "/ui/my/requests/{request}",
        None,
        [(303, SIGN_IN), 200, 404, (303, STAFF_HOME), (303, STAFF_HOME)],
    ),
    (
        "GET",
        "/ui/my/requests/{draft}",
        None,
        [(303, SIGN_IN), 200, 404, (303, STAFF_HOME), (303, STAFF_HOME)],
    ),
    (
        "GET",
        "/ui/my/requests/{request}/edit",
        None,
        [(303, SIGN_IN), 200, 404, (303, STAFF_HOME), (303, STAFF_HOME)],
    ),
    ("GET", "/ui/my/offers/{offer}", None, [(303, SIGN_IN), 200, 404, (303, STAFF_HOME), (303, STAFF_HOME)]),
    (
        "GET",
        "/ui/my/offers/{offer}/edit",
        None,
        [(303, SIGN_IN), 200, 404, (303, STAFF_HOME), (303, STAFF_HOME)],
    ),
    ("POST", "/ui/my/requests/new", _record, [(303, SIGN_IN), (303, MINE), (303, MINE), 403, 403]),
    ("POST", "/ui/my/requests/{request}/edit", _record, [(303, SIGN_IN), (303, MINE), 404, 403, 403]),
    ("GET", "/ui/my/exchanges", None, [(303, SIGN_IN), 200, 200, (303, STAFF_HOME), (303, STAFF_HOME)]),
    (
        "GET",
        "/ui/my/exchanges/{exchange}",
        None,
        [(303, SIGN_IN), 200, 404, (303, STAFF_HOME), (303, STAFF_HOME)],
    ),
    (
        "POST",
        "/ui/my/exchanges/{exchange}/edit",
        lambda ids: {"version": "1", "requester_contact": "Ana"},
        [(303, SIGN_IN), (303, MINE), 404, 403, 403],
    ),
    (
        "POST",
        "/ui/my/exchanges/{exchange}/report",
        lambda ids: {"version": "0", "relevance": "5", "usefulness": "4"},
        [(303, SIGN_IN), 409, 404, 403, 403],  # planned: reports come once it is completed
    ),
    # funding windows: A and B are governments (funders); each keeps its own windows
    ("GET", "/ui/my/funding", None, [(303, SIGN_IN), 200, 200, (303, STAFF_HOME), (303, STAFF_HOME)]),
    ("GET", "/ui/my/funding/new", None, [(303, SIGN_IN), 200, 200, (303, STAFF_HOME), (303, STAFF_HOME)]),
    (
        "GET",
        "/ui/my/funding/{window}",
        None,
        [(303, SIGN_IN), 200, 404, (303, STAFF_HOME), (303, STAFF_HOME)],
    ),
    ("POST", "/ui/my/funding/new", _window, [(303, SIGN_IN), (303, MINE), (303, MINE), 403, 403]),
    ("POST", "/ui/my/funding/{window}", _window, [(303, SIGN_IN), (303, MINE), 404, 403, 403]),
    (
        "POST",
        "/ui/my/matches/{match}/signal",
        lambda ids: {"signal": "interested"},
        [(303, SIGN_IN), (303, MINE), 404, 403, 403],
    ),
]
PARAMS = [
    pytest.param(method, path, form, role, expected[i], id=f"{method} {path} as {role}")
    for method, path, form, expected in CASES
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("method", "path", "form", "role", "expected"), PARAMS)
def test_access(
    client: TestClient, session: Session, method: str, path: str, form: Any, role: str, expected: Any
) -> None:
    a = make_institution(session, name="Institution A", country="BRA", languages=["pt"])
    b = make_institution(session, name="Institution B", country="MOZ", languages=["pt"])
    request = make_request(session, a)
    draft = make_request(session, a, status="draft")
    offer = make_offer(session, a)
    c = make_institution(session, name="Institution C", country="IND", languages=["en"])
    match = Match(request_id=request.id, offer_id=make_offer(session, c).id, profile="default", score=0.5)
    session.add(match)
    session.flush()
    exchange = Exchange(match_id=match.id, request_id=request.id, offer_id=match.offer_id,
                        requester_institution_id=a.id, provider_institution_id=c.id)  # fmt: skip
    session.add(exchange)
    session.flush()
    ids = {"request": request.id, "draft": draft.id, "offer": offer.id, "match": match.id,
           "exchange": exchange.id, "window": make_funding_window(session, a).id}  # fmt: skip
    keys = {"inst_a": ("institution", a), "inst_b": ("institution", b), "staff": ("staff", None)}
    keys["broker"] = ("broker", None)
    csrf = ""
    if role != "none":
        kind, institution = keys[role]
        csrf = signed_in(client, make_caller(session, kind, institution).key)
    data = {"csrf_token": csrf, **form(ids)} if form else None
    response = client.request(method, path.format(**ids), data=data, follow_redirects=False)
    status, where = expected if isinstance(expected, tuple) else (expected, None)
    assert response.status_code == status, response.text[:500]
    if where is not None:
        assert response.headers["location"].startswith(where)
