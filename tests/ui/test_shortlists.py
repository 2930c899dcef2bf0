"""A request's shortlist handed on: the CSV download, the printable brief and the comparison."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.models import Match, MatchStatus, Role
from broker.schemas.match import ReviewCreate
from broker.services import reviews, shortlists
from broker.services.principal import Principal
from broker.ui.rendering import templates
from tests.factories import CallerFactory, make_caller, make_institution, make_offer
from tests.ui.conftest import signed_in


def _ranked(client: TestClient, session: Session, catalogue: dict[str, int]) -> dict[int, int]:
    """Open the request page (which ranks and stores its matches); offer id -> match id."""
    assert client.get(f"/ui/requests/{catalogue['request']}").status_code == 200
    stmt = select(Match).where(Match.request_id == catalogue["request"])
    return {m.offer_id: m.id for m in session.scalars(stmt)}


def _decide(session: Session, match_id: int, status: str, note: str | None = None, **extra: str) -> None:
    staff = Principal(key_id=make_caller(session, "staff").key_id, name="Amina", role=Role.staff)
    data = ReviewCreate(status=MatchStatus(status), note=note, **extra)  # type: ignore[arg-type]
    reviews.review_match(session, principal=staff, match_id=match_id, data=data)


def test_the_csv_holds_the_shortlisted_offers_only_in_stable_formula_safe_columns(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int], session: Session
) -> None:
    signed_in(client, caller("staff").key)
    matches = _ranked(client, session, catalogue)
    _decide(session, matches[catalogue["hiv"]], "shortlisted", '=HYPERLINK("http://x") call FNDE')
    _decide(session, matches[catalogue["irrigation"]], "rejected", "off topic")
    response = client.get(f"/ui/requests/{catalogue['request']}/shortlist.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="shortlist-request-{catalogue["request"]}.csv"'
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert list(rows[0]) == shortlists.CSV_COLUMNS
    [row] = rows
    assert row["request"] == "HIV treatment for rural patients"
    assert row["offer_title"] == "HIV treatment scale-up with free antiretroviral therapy"
    assert row["institution"] == "Brazil MoH" and row["country"] == "Brazil"
    assert row["modalities"] == "Study tour; Expert visit" and row["rank"] == "1"
    assert row["fit"] in {"strong", "possible", "weak"} and 0 < float(row["score"]) <= 1
    assert int(row["estimated_cost_usd"]) > 0
    assert "Same sector" in row["reasons"]
    assert row["reviewer_note"] == '\'=HYPERLINK("http://x") call FNDE'  # never a live formula


def test_an_empty_shortlist_is_a_header_only_csv_and_an_empty_brief(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    signed_in(client, caller("staff").key)
    text = client.get(f"/ui/requests/{catalogue['lonely']}/shortlist.csv").text
    assert text.removeprefix("\ufeff").splitlines() == [",".join(shortlists.CSV_COLUMNS)]
    brief = client.get(f"/ui/requests/{catalogue['lonely']}/brief").text
    assert "No offer is shortlisted for this request yet." in brief


def test_the_brief_shows_the_request_then_each_shortlisted_offer_without_navigation(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int], session: Session
) -> None:
    signed_in(client, caller("staff").key)
    matches = _ranked(client, session, catalogue)
    _decide(
        session,
        matches[catalogue["hiv"]],
        "shortlisted",
        "staff only: ask about March",
        note_for_institutions="FNDE can host in March",
    )
    response = client.get(f"/ui/requests/{catalogue['request']}/brief")
    assert response.status_code == 200
    html = response.text
    assert '<nav aria-label="Main">' not in html and "Sign out" not in html
    assert html.index("HIV treatment for rural patients") < html.index("HIV treatment scale-up")
    assert "We need to expand HIV treatment" in html  # the request's description
    assert "Universal free antiretroviral treatment" in html  # the offer's description
    assert "Brazil MoH" in html and "Brazil" in html and "Same sector" in html
    assert "against a budget of USD\xa050,000" in html
    assert "FNDE can host in March" in html and "staff only" not in html  # the note for the parties only
    assert "Irrigation canal management" not in html  # not shortlisted
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


def test_comparing_two_or_three_matched_offers_side_by_side(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int], session: Session
) -> None:
    brazil = make_institution(session, name="Another hub", country="ZAF", languages=["en"])
    third = make_offer(
        session,
        brazil,
        title="HIV testing in clinics",
        sectors=["13040"],
        cost_usd=20000,
        description="Routine HIV testing and antiretroviral treatment in clinics.",
    )
    signed_in(client, caller("staff").key)
    page = client.get(f"/ui/requests/{catalogue['request']}").text
    assert 'form="compare" name="offers"' in page and "Compare the selected offers" in page
    ids = [catalogue["hiv"], third.id, catalogue["irrigation"]]
    for query in (f"offers={ids[0]},{ids[1]}", f"offers={ids[0]}&offers={ids[1]}&offers={ids[2]}"):
        response = client.get(f"/ui/requests/{catalogue['request']}/compare?{query}")
        assert response.status_code == 200, query
        html = response.text
        headings = re.findall(r'<th scope="col"><a href="/ui/offers/(\d+)">', html)
        assert headings == [str(i) for i in ids[: len(headings)]] and len(headings) in (2, 3)
        for row in (
            "Score",
            "Fit",
            "semantic",
            "cost",
            "Estimated cost",
            "Modalities",
            "Languages",
            "Reasons",
        ):
            assert f'<th scope="row">{row}</th>' in html, row
        assert html.count("<meter") == 7 * len(headings)


def test_comparisons_of_too_few_too_many_repeated_or_unmatched_offers_are_refused(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int], session: Session
) -> None:
    other = make_offer(session, title="Unranked offer", sectors=["31140"], status="draft")
    signed_in(client, caller("staff").key)
    _ranked(client, session, catalogue)
    hiv, irrigation = catalogue["hiv"], catalogue["irrigation"]
    base = f"/ui/requests/{catalogue['request']}/compare"
    cases = {
        f"offers={hiv}": "choose 2 or 3 offers",
        "": "choose 2 or 3 offers",
        f"offers={hiv},{irrigation},{other.id},999": "choose 2 or 3 offers",
        f"offers={hiv},{hiv}": "only once",
        f"offers={hiv},{other.id}": f"offer {other.id} is not matched to request {catalogue['request']}",
        "offers=abc,1": "is not an offer id",
    }
    for query, message in cases.items():
        response = client.get(f"{base}?{query}")
        assert response.status_code == 422, query
        assert message in response.text, query


def test_exports_and_comparison_need_a_workspace_session(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    for tail in ("shortlist.csv", "brief", "compare?offers=1,2"):
        response = client.get(f"/ui/requests/{catalogue['request']}/{tail}", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/ui/sign-in"), tail
    signed_in(client, caller("staff").key)
    assert client.get("/ui/requests/999999/shortlist.csv").status_code == 404
    assert client.get("/ui/requests/999999/brief").status_code == 404


def test_the_cost_breakdown_is_shown_when_the_ranking_gives_one() -> None:
    macro = templates.env.from_string(
        '{% from "_macros.html" import cost_breakdown %}{{ cost_breakdown(b) }}'
    )
    breakdown = {
        "fixed_usd": 5000,
        "participants_usd": 12000,
        "travel_usd": 9000.4,
        "interpretation_usd": 0,
        "total_usd": 26000.4,
        "modality": "study_tour",
        "why": {"code": "modality.preferred", "params": {}, "text": "The request asks for a study tour."},
    }
    html = macro.render(b=breakdown)
    for label, value in (
        ("Fixed", "USD\xa05,000"),
        ("Travel", "USD\xa09,000"),
        ("Interpretation", "USD\xa00"),
        ("Total", "USD\xa026,000"),
    ):
        assert f'<th scope="row">{label}</th><td class="num">{value}</td>' in html, label
    assert "as Study tour" in html and "The request asks for a study tour." in html


def test_the_request_page_shows_each_match_s_cost_breakdown(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    signed_in(client, caller("staff").key)
    html = client.get(f"/ui/requests/{catalogue['request']}").text
    assert '<details class="offer-text">' in html and "Universal free antiretroviral treatment" in html
    ranked = client.get(
        f"/api/v1/requests/{catalogue['request']}/matches", headers=caller("staff").headers
    ).json()["items"]
    assert html.count('<table class="cost-breakdown">') == len(ranked) > 0
    for item in ranked:
        parts = item["cost_breakdown"]
        total = (
            parts["fixed_usd"] + parts["participants_usd"] + parts["travel_usd"] + parts["interpretation_usd"]
        )
        assert (
            abs(total - parts["total_usd"]) < 1e-6
            and abs(parts["total_usd"] - item["estimated_cost_usd"]) < 1e-6
        )
        assert parts["modality"] == item["modality"] and parts["why"]["code"].startswith("modality.")
    assert "against a budget of USD\xa050,000" in html
