"""Reviewing a request's ranked offers on its page: the same service and history as the JSON API."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.models import Match, MatchReview
from tests.factories import CallerFactory, make_request
from tests.ui.conftest import signed_in

FACTORS = ("semantic", "sector", "region", "modality", "language", "cost", "track_record")


def _first_match_id(html: str) -> int:
    found = re.search(r'action="/ui/matches/(\d+)/review"', html)
    assert found, "no decision form on the page"
    return int(found.group(1))


def test_request_page_shows_ranked_offers_with_factors_reasons_and_cost(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    signed_in(client, caller("staff").key)
    page = client.get(f"/ui/requests/{catalogue['request']}")
    assert page.status_code == 200
    html = page.text
    assert "HIV treatment for rural patients" in html and "Kenya MoH" in html
    assert html.index("HIV treatment scale-up") < html.index("Irrigation canal management")
    for factor in FACTORS:
        assert f'<th scope="row">{factor.replace("_", " ")}</th>' in html
    assert html.count("<meter") == 2 * (1 + len(FACTORS))  # a score bar and seven factor bars per offer
    assert "Same sector: STD control including HIV/AIDS" in html
    assert "against a budget of USD\xa050,000" in html
    for label in ("Shortlist", "Accept", "Reject"):
        assert f">{label}</button>" in html
    assert '<label for="note-' in html


def test_request_page_stores_the_proposed_matches_like_the_api(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int], session: Session
) -> None:
    signed_in(client, caller("staff").key)
    client.get(f"/ui/requests/{catalogue['request']}")
    stored = session.scalars(select(Match).where(Match.request_id == catalogue["request"])).all()
    assert {m.offer_id for m in stored} == {catalogue["hiv"], catalogue["irrigation"]}


def test_decision_posted_from_the_page_is_stored_and_seen_by_the_json_api(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    staff = caller("staff")
    csrf = signed_in(client, staff.key)
    match_id = _first_match_id(client.get(f"/ui/requests/{catalogue['request']}").text)
    response = client.post(
        f"/ui/matches/{match_id}/review",
        data={"csrf_token": csrf, "status": "accepted", "note": "Good fit; call FNDE"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/ui/requests/{catalogue['request']}#match-{match_id}"
    api = client.get(f"/api/v1/matches/{match_id}", headers=staff.headers).json()
    assert api["status"] == "accepted"
    [review] = api["reviews"]
    assert review["note"] == "Good fit; call FNDE" and review["reviewer_key_id"] == staff.key_id
    history = client.get(response.headers["location"]).text
    assert "Good fit; call FNDE" in history and "test staff" in history
    # the English medium date and short time (see broker.i18n.format_moment)
    assert re.search(
        r"<time datetime=\"[^\"]+\">[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d\s[AP]M UTC</time>", history
    )


def test_decision_without_or_with_a_wrong_csrf_token_is_refused_and_nothing_stored(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int], session: Session
) -> None:
    signed_in(client, caller("staff").key)
    match_id = _first_match_id(client.get(f"/ui/requests/{catalogue['request']}").text)
    for form in ({"status": "accepted"}, {"status": "accepted", "csrf_token": "not-the-token"}):
        response = client.post(f"/ui/matches/{match_id}/review", data=form, follow_redirects=False)
        assert response.status_code == 403 and "security token" in response.text
        assert response.headers["content-type"].startswith("text/html")
    assert session.scalar(select(func.count()).select_from(MatchReview)) == 0
    assert session.get_one(Match, match_id).status == "proposed"


def test_decision_without_a_session_is_sent_to_sign_in(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int], session: Session
) -> None:
    csrf = signed_in(client, caller("staff").key)
    match_id = _first_match_id(client.get(f"/ui/requests/{catalogue['request']}").text)
    client.cookies.clear()
    response = client.post(
        f"/ui/matches/{match_id}/review",
        data={"csrf_token": csrf, "status": "rejected"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/ui/sign-in"
    assert session.scalar(select(func.count()).select_from(MatchReview)) == 0


def test_brokers_see_the_ranking_but_cannot_decide(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int], session: Session
) -> None:
    csrf = signed_in(client, caller("broker").key)
    html = client.get(f"/ui/requests/{catalogue['request']}").text
    assert "HIV treatment scale-up" in html and "read-only" in html
    assert "/review" not in html and ">Accept</button>" not in html
    match_id = session.scalars(select(Match.id).where(Match.request_id == catalogue["request"])).first()
    response = client.post(f"/ui/matches/{match_id}/review", data={"csrf_token": csrf, "status": "accepted"})
    assert response.status_code == 403 and "needs one of the roles: staff, admin" in response.text
    assert session.scalar(select(func.count()).select_from(MatchReview)) == 0


def test_an_unknown_decision_is_refused_with_a_page(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    csrf = signed_in(client, caller("admin").key)
    match_id = _first_match_id(client.get(f"/ui/requests/{catalogue['request']}").text)
    response = client.post(f"/ui/matches/{match_id}/review", data={"csrf_token": csrf, "status": "maybe"})
    assert response.status_code == 422 and response.headers["content-type"].startswith("text/html")


def test_offer_page_lists_the_open_requests_it_could_serve(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    signed_in(client, caller("staff").key)
    html = client.get(f"/ui/offers/{catalogue['hiv']}").text
    assert "HIV treatment scale-up with free antiretroviral therapy" in html
    assert f'href="/ui/requests/{catalogue["request"]}"' in html
    assert "Closed request on malaria nets" not in html  # only open requests are ranked


def test_missing_pages_answer_with_html(client: TestClient, caller: CallerFactory) -> None:
    signed_in(client, caller("staff").key)
    for path in ("/ui/requests/999999", "/ui/offers/999999", "/ui/requests/abc", "/ui/nowhere"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "<h1>Not found</h1>" in response.text


def test_pages_carry_a_script_free_csp_and_are_not_cached(client: TestClient, caller: CallerFactory) -> None:
    signed_in(client, caller("staff").key)
    response = client.get("/ui/requests")
    csp = response.headers["content-security-policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp and "form-action 'self'" in csp
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    assert "<script" not in response.text
    css = client.get("/ui/static/ui.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_text_from_institutions_is_escaped(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    make_request(session, title="<script>alert(1)</script>", description="<img src=x onerror=alert(1)>")
    signed_in(client, caller("staff").key)
    html = client.get("/ui/requests").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
