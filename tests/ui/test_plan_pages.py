"""The plan pages: build a plan from the form, review its lines, shortlist ticked ones; the gap view
shows what one more offer would unlock."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from broker.models import Match
from tests.factories import CallerFactory, make_institution, make_offer, make_request
from tests.ui.conftest import csrf_of, signed_in


def _world(session: Session) -> None:
    text = {"title": "Community health workers", "description": "Train and deploy community health workers."}
    for country in ("KEN", "MOZ", "GHA"):
        asking = make_institution(session, name=f"Health {country}", country=country, languages=["en"])
        make_request(session, asking, languages=["en"], timeframe_start=date(2027, 3, 1), **text)
    brazil = make_institution(session, name="Brazil hub", country="BRA", languages=["en"])
    make_offer(session, brazil, capacity_per_year=2, **text)


def test_staff_build_a_plan_and_shortlist_its_lines(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    _world(session)
    signed_in(client, caller("staff").key)
    page = client.get("/ui/plans")
    assert page.status_code == 200 and "No plan yet." in page.text
    token = csrf_of(page.text)
    bad = client.post("/ui/plans", data={"csrf_token": token, "offers_per_request": "x"})
    assert bad.status_code == 422 and "a number is needed" in bad.text
    form = {"csrf_token": token, "name": "Q1", "floor_region": "", "floor_share": "", "include_weak": "on"}
    built = client.post("/ui/plans", data=form)  # weak fits allowed: the test encoder's are all weak
    assert built.status_code == 200 and built.url.path.startswith("/ui/plans/"), built.text[:500]
    assert "Requests left unserved" in built.text  # one offer of capacity 2 for three requests
    picks = re.findall(r'name="line_ids" value="(\d+)"', built.text)
    assert len(picks) == 2
    done = client.post(
        f"{built.url.path}/shortlist", data={"csrf_token": csrf_of(built.text), "line_ids": picks}
    )
    assert done.status_code == 200 and "Shortlisted 2 lines." in done.text
    assert 'name="line_ids"' not in done.text
    assert session.query(Match).filter(Match.status == "shortlisted").count() == 2
    gaps = client.get("/ui/gaps")
    assert "What one more offer would unlock" in gaps.text and 'id="unlock-cells"' in gaps.text


def test_institutions_are_sent_to_their_own_pages(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    signed_in(client, caller("institution", make_institution(session)).key)
    page = client.get("/ui/plans", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/ui/my")
