"""The funding window pages: staff list every window and publish or edit one for any funder; a
funder institution keeps its own under /ui/my/funding; an institution of another kind is told it
does not publish windows. Refused and stale forms come back with the input kept and nothing saved."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.models import FundingWindow
from tests.factories import CallerFactory, make_funding_window, make_institution
from tests.ui.conftest import signed_in


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found
    return found.group(1)


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(FundingWindow)) or 0


def _form(csrf: str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "csrf_token": csrf,
        "title": "Health exchanges in Africa",
        "mandate": "Finances peer exchanges on primary health care in Africa.",
        "sectors": "120, 13040",
        "receiving_regions": "002",
        "receiving_income_levels": ["Low", "Lower middle"],
        "providing_countries": "BRA IND",
        "modalities": ["study_tour", "expert_visit"],
        "max_per_exchange_usd": "30,000",
        "envelope_usd": "$200000",
        "cofinancing_percent": "20",
        "opens_on": "2027-01-01",
        "closes_on": "2027-12-31",
        "status": "open",
    }
    return values | overrides


def test_staff_publish_a_window_for_a_funder_and_edit_it(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    fund = make_institution(session, name="Triangular fund", country="BRA", kind="multilateral")
    make_institution(session, name="Health NGO", country="KEN", kind="ngo")
    csrf = signed_in(client, caller("staff").key)
    assert "No funding window yet." in _text(client.get("/ui/funding").text)
    blank = client.get("/ui/funding/new").text
    assert "Triangular fund" in blank and "Health NGO" not in blank  # only funders to choose from
    not_a_number = client.post("/ui/funding/new", data=_form(csrf, cofinancing_percent="a fifth"))
    assert not_a_number.status_code == 422 and "enter a number" in _text(not_a_number.text)
    refused = client.post(
        "/ui/funding/new", data=_form(csrf, institution_id=str(fund.id), sectors="121", envelope_usd="1000")
    )
    assert refused.status_code == 422
    shown = _text(refused.text)
    assert "Nothing was saved" in shown and "did you mean 120" in shown
    assert 'value="121"' in refused.text and _count(session) == 0
    made = client.post(
        "/ui/funding/new", data=_form(csrf, institution_id=str(fund.id)), follow_redirects=False
    )
    assert made.status_code == 303, made.text
    window = session.scalars(select(FundingWindow)).one()
    assert made.headers["location"] == f"/ui/funding/{window.id}?saved=1"
    assert window.institution_id == fund.id and window.cofinancing_share == 0.2
    assert window.envelope_usd == 200000 and window.providing_countries == ["BRA", "IND"]
    assert window.receiving_income_levels == ["Low", "Lower middle"]
    page = client.get(made.headers["location"]).text
    assert "Saved." in _text(page) and 'value="120, 13040"' in page and 'value="20"' in page
    change = _form(csrf, version=_version(page), title="Health exchanges 2027", status="closed")
    edited = client.post(f"/ui/funding/{window.id}", data=change, follow_redirects=False)
    assert edited.status_code == 303
    session.refresh(window)
    assert window.title == "Health exchanges 2027" and window.status == "closed" and window.version == 2
    stale = client.post(f"/ui/funding/{window.id}", data=_form(csrf, version="1", title="Lost edit"))
    assert stale.status_code == 409 and 'value="Lost edit"' in stale.text
    bad = client.post(f"/ui/funding/{window.id}", data=_form(csrf, version="2", closes_on="2026-01-01"))
    assert bad.status_code == 422 and "closes_on must not be before opens_on" in _text(bad.text)
    session.refresh(window)
    assert window.title == "Health exchanges 2027" and window.closes_on.year == 2027
    listed = _text(client.get("/ui/funding?status=closed").text)
    assert "Health exchanges 2027" in listed and "Triangular fund" in listed and "1 funding window" in listed
    assert "Health exchanges 2027" not in _text(client.get("/ui/funding?status=open").text)


def test_a_funder_keeps_its_own_windows_and_another_kind_publishes_none(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    fund = make_institution(session, name="Agency of Japan", country="JPN", kind="government")
    other = make_institution(session, name="Another fund", country="DEU", kind="private")
    theirs = make_funding_window(session, other, title="Another fund's window")
    csrf = signed_in(client, caller("institution", fund).key)
    assert client.get("/ui/funding", follow_redirects=False).status_code == 303  # the staff pages are not its
    mine = client.get("/ui/my/funding")
    assert (
        mine.status_code == 200
        and "New funding window" in mine.text
        and "Another fund's window" not in mine.text
    )
    made = client.post("/ui/my/funding/new", data=_form(csrf), follow_redirects=False)
    assert made.status_code == 303, made.text
    window = session.scalars(select(FundingWindow).where(FundingWindow.institution_id == fund.id)).one()
    assert made.headers["location"] == f"/ui/my/funding/{window.id}?saved=1"
    assert "Health exchanges in Africa" in _text(client.get("/ui/my/funding").text)
    assert client.get(f"/ui/my/funding/{theirs.id}").status_code == 404
    assert client.post(f"/ui/my/funding/{theirs.id}", data=_form(csrf, version="1")).status_code == 404

    ngo = make_institution(session, name="Health NGO", country="KEN", kind="ngo")
    client.cookies.clear()
    ngo_csrf = signed_in(client, caller("institution", ngo).key)
    assert "Only multilateral, government and private institutions" in _text(
        client.get("/ui/my/funding").text
    )
    refused = client.post("/ui/my/funding/new", data=_form(ngo_csrf))
    assert refused.status_code == 422 and "of kind ngo" in _text(refused.text)
    assert _count(session) == 2
