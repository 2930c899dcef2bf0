"""The exchange pages: staff open, move and edit an exchange; brokers only read; each side's
institution edits what it may and reports once completed; the results view. Setup goes through the
JSON API (a Bearer key wins over the page's session cookie)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.models import Exchange, ExchangeChange, ExchangeReport, Match
from tests.factories import Caller, CallerFactory, make_institution, make_offer, make_request
from tests.ui.conftest import signed_in


@dataclass
class Pair:
    request_id: int
    match_id: int
    staff: Caller
    broker: Caller
    requester: Caller
    provider: Caller
    other: Caller


@pytest.fixture
def pair(session: Session, caller: CallerFactory) -> Pair:
    """Kenya's request, Brazil's offer, their accepted match; Peru is a stranger to it."""
    kenya = make_institution(session, name="Kenya MoH", country="KEN")
    brazil = make_institution(session, name="Brazil MoH", country="BRA", languages=["pt"])
    peru = make_institution(session, name="Peru MoE", country="PER", languages=["es"])
    request = make_request(session, kenya, title="Kenya's HIV request", budget_usd=20000, participants=5)
    offer = make_offer(session, brazil, title="Brazil's HIV offer", modalities=["study_tour"])
    match = Match(request_id=request.id, offer_id=offer.id, profile="default", score=0.7, rank=1,
                  status="accepted")  # fmt: skip
    session.add(match)
    session.flush()
    return Pair(
        request_id=request.id,
        match_id=match.id,
        staff=caller("staff"),
        broker=caller("broker"),
        requester=caller("institution", kenya),
        provider=caller("institution", brazil),
        other=caller("institution", peru),
    )


def _api(client: TestClient, who: Caller, method: str, path: str, **body: Any) -> dict[str, Any]:
    response = client.request(method, f"/api/v1{path}", json=body, headers=who.headers)
    assert response.status_code < 300, response.text
    return dict(response.json())


def _opened(client: TestClient, pair: Pair, *, to: tuple[str, ...] = ()) -> dict[str, Any]:
    ex = _api(client, pair.staff, "POST", f"/matches/{pair.match_id}/exchange")
    for status in to:
        ex = _api(client, pair.staff, "POST", f"/exchanges/{ex['id']}/status", status=status,
                  version=ex["version"])  # fmt: skip
    return ex


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found
    return found.group(1)


def test_staff_open_an_exchange_from_the_accepted_match_on_the_request_page(
    client: TestClient, session: Session, pair: Pair
) -> None:
    csrf = signed_in(client, pair.staff.key)
    page = client.get(f"/ui/requests/{pair.request_id}")
    assert f'action="/ui/matches/{pair.match_id}/exchange"' in page.text
    opened = client.post(f"/ui/matches/{pair.match_id}/exchange", data={"csrf_token": csrf},
                         follow_redirects=False)  # fmt: skip
    assert opened.status_code == 303
    (exchange,) = session.scalars(select(Exchange)).all()
    assert opened.headers["location"] == f"/ui/exchanges/{exchange.id}?opened=1"
    shown = _text(client.get(opened.headers["location"]).text)
    assert "Exchange opened." in shown and "Kenya's HIV request" in shown and "Brazil MoH" in shown
    assert "opened the exchange" in shown and "Mark under way" in shown and "Cancel the exchange" in shown
    assert "Mark completed" not in shown  # not a move planned may make
    again = client.get(f"/ui/requests/{pair.request_id}").text
    assert f'href="/ui/exchanges/{exchange.id}"' in again
    assert f"/ui/matches/{pair.match_id}/exchange" not in again
    twice = client.post(f"/ui/matches/{pair.match_id}/exchange", data={"csrf_token": csrf})
    assert twice.status_code == 409 and f"already has exchange {exchange.id}" in twice.text


def test_staff_move_an_exchange_and_only_allowed_moves_are_offered(
    client: TestClient, session: Session, pair: Pair
) -> None:
    ex = _opened(client, pair)
    csrf = signed_in(client, pair.staff.key)
    for status, note in (("under_way", "They arrived."), ("completed", "")):
        version = _version(client.get(f"/ui/exchanges/{ex['id']}").text)
        form = {"csrf_token": csrf, "status": status, "version": version, "note": note}
        moved = client.post(f"/ui/exchanges/{ex['id']}/status", data=form, follow_redirects=False)
        assert moved.status_code == 303
    shown = _text(client.get(f"/ui/exchanges/{ex['id']}").text)
    assert "moved it from planned to under way : “They arrived.”" in shown
    assert "moved it from under way to completed" in shown
    assert "This exchange is final" in shown and "Mark " not in shown and "Save the exchange" not in shown
    illegal = client.post(f"/ui/exchanges/{ex['id']}/status",
                          data={"csrf_token": csrf, "status": "under_way", "version": "3"})  # fmt: skip
    assert illegal.status_code == 409 and "can move to none" in illegal.text
    listed = _text(client.get("/ui/exchanges?status=completed").text)
    assert f"Exchange {ex['id']}" in listed and "1 exchange" in listed
    assert f"Exchange {ex['id']}" not in _text(client.get("/ui/exchanges?status=planned").text)


def test_a_stale_staff_edit_says_so_keeps_the_input_and_changes_nothing(
    client: TestClient, session: Session, pair: Pair
) -> None:
    ex = _opened(client, pair)
    csrf = signed_in(client, pair.staff.key)
    read = client.get(f"/ui/exchanges/{ex['id']}").text
    _api(client, pair.staff, "PATCH", f"/exchanges/{ex['id']}", version=ex["version"], notes="A colleague")
    form = {"csrf_token": csrf, "version": _version(read), "budget_source": "My own fund",
            "modalities": ["study_tour"], "starts_on": "2027-03-01", "ends_on": "2027-03-09"}  # fmt: skip
    stale = client.post(f"/ui/exchanges/{ex['id']}/edit", data=form)
    assert stale.status_code == 409
    assert "Someone changed this exchange while you were editing it" in _text(stale.text)
    assert 'value="My own fund"' in stale.text and 'value="2027-03-01"' in stale.text
    assert _version(stale.text) == "2"  # the current one, so saving again goes through
    stored = _api(client, pair.staff, "GET", f"/exchanges/{ex['id']}")
    assert stored["budget_source"] is None and stored["notes"] == "A colleague"
    again = client.post(f"/ui/exchanges/{ex['id']}/edit", data={**form, "version": "2"},
                        follow_redirects=False)  # fmt: skip
    assert again.status_code == 303
    assert _api(client, pair.staff, "GET", f"/exchanges/{ex['id']}")["budget_source"] == "My own fund"


def test_a_staff_edit_with_bad_values_shows_the_errors_and_changes_nothing(
    client: TestClient, pair: Pair
) -> None:
    ex = _opened(client, pair)
    csrf = signed_in(client, pair.staff.key)
    form = {"csrf_token": csrf, "version": "1", "participants": "six", "budget_currency": "dollars",
            "starts_on": "2027-03-10", "ends_on": "2027-03-01"}  # fmt: skip
    refused = client.post(f"/ui/exchanges/{ex['id']}/edit", data=form)
    assert refused.status_code == 422
    assert "Nothing was saved" in refused.text and "enter a whole number" in refused.text
    assert 'value="six"' in refused.text
    fixed = {**form, "participants": "6"}
    refused = client.post(f"/ui/exchanges/{ex['id']}/edit", data=fixed)
    assert refused.status_code == 422 and "three letters" in refused.text
    assert _api(client, pair.staff, "GET", f"/exchanges/{ex['id']}")["version"] == 1


def test_brokers_read_exchanges_and_results_but_cannot_change_them(
    client: TestClient, session: Session, pair: Pair
) -> None:
    ex = _opened(client, pair)
    csrf = signed_in(client, pair.broker.key)
    page = client.get(f"/ui/exchanges/{ex['id']}")
    assert page.status_code == 200 and "Kenya's HIV request" in _text(page.text)
    assert "Save the exchange" not in page.text and "Mark under way" not in page.text
    assert "only staff and admins move or edit" in page.text
    assert client.get("/ui/results").status_code == 200
    changes = _count(session, ExchangeChange)
    moved = client.post(f"/ui/exchanges/{ex['id']}/status",
                        data={"csrf_token": csrf, "status": "under_way", "version": "1"})  # fmt: skip
    edited = client.post(f"/ui/exchanges/{ex['id']}/edit",
                         data={"csrf_token": csrf, "version": "1", "notes": "mine"})  # fmt: skip
    opened = client.post(f"/ui/matches/{pair.match_id}/exchange", data={"csrf_token": csrf})
    assert (moved.status_code, edited.status_code, opened.status_code) == (403, 403, 403)
    assert _count(session, ExchangeChange) == changes


@pytest.mark.parametrize("path", ["/ui/exchanges", "/ui/exchanges/{id}", "/ui/results"])
def test_staff_exchange_pages_send_an_institution_to_its_own(
    client: TestClient, pair: Pair, path: str
) -> None:
    ex = _opened(client, pair)
    signed_in(client, pair.requester.key)
    response = client.get(path.format(id=ex["id"]), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/ui/my/requests"


def test_an_institution_that_is_not_a_side_sees_nothing_of_the_exchange(
    client: TestClient, session: Session, pair: Pair
) -> None:
    ex = _opened(client, pair, to=("under_way", "completed"))
    csrf = signed_in(client, pair.other.key)
    assert "Kenya's HIV request" not in _text(client.get("/ui/my/exchanges").text)
    assert client.get(f"/ui/my/exchanges/{ex['id']}").status_code == 404
    report = {"csrf_token": csrf, "relevance": "5", "usefulness": "5", "version": "0"}
    assert client.post(f"/ui/my/exchanges/{ex['id']}/report", data=report).status_code == 404
    edit = {"csrf_token": csrf, "version": "3", "provider_contact": "me"}
    assert client.post(f"/ui/my/exchanges/{ex['id']}/edit", data=edit).status_code == 404
    assert _count(session, ExchangeReport) == 0


def test_a_side_edits_its_contact_and_the_shared_fields_only_while_planned(
    client: TestClient, pair: Pair
) -> None:
    ex = _opened(client, pair)
    csrf = signed_in(client, pair.provider.key)
    page = client.get("/ui/my/exchanges")
    assert f'href="/ui/my/exchanges/{ex["id"]}"' in page.text
    form_page = client.get(f"/ui/my/exchanges/{ex['id']}").text
    assert 'name="provider_contact"' in form_page and 'name="starts_on"' in form_page
    assert 'name="requester_contact"' not in form_page and 'name="notes"' not in form_page
    form = {"csrf_token": csrf, "version": "1", "provider_contact": "Ana Souza", "modalities": ["study_tour"],
            "participants": "4", "notes": "ignored: not a field of this side"}  # fmt: skip
    saved = client.post(f"/ui/my/exchanges/{ex['id']}/edit", data=form, follow_redirects=False)
    assert saved.status_code == 303
    stored = _api(client, pair.staff, "GET", f"/exchanges/{ex['id']}")
    assert (stored["provider_contact"], stored["participants"], stored["notes"]) == ("Ana Souza", 4, None)
    _api(client, pair.staff, "POST", f"/exchanges/{ex['id']}/status", status="under_way",
         version=stored["version"])  # fmt: skip
    under_way = client.get(f"/ui/my/exchanges/{ex['id']}").text
    assert 'name="provider_contact"' in under_way and 'name="starts_on"' not in under_way
    assert "Save the report" not in under_way


def test_a_report_with_errors_says_what_and_stores_nothing(
    client: TestClient, session: Session, pair: Pair
) -> None:
    ex = _opened(client, pair, to=("under_way", "completed"))
    csrf = signed_in(client, pair.requester.key)
    assert "Your report on the results" in client.get(f"/ui/my/exchanges/{ex['id']}").text
    form = {"csrf_token": csrf, "version": "0", "outcomes": ["enhanced_knowledge_skills"], "relevance": "",
            "usefulness": "4", "adopted": "Un décret", "evidence_links": "ftp://nowhere"}  # fmt: skip
    refused = client.post(f"/ui/my/exchanges/{ex['id']}/report", data=form)
    assert refused.status_code == 422 and "choose a rating from 1 to 5" in refused.text
    assert "Un décret" in refused.text and "ftp://nowhere" in refused.text
    assert re.search(r'value="enhanced_knowledge_skills" checked', refused.text)
    refused = client.post(f"/ui/my/exchanges/{ex['id']}/report", data={**form, "relevance": "5"})
    assert refused.status_code == 422 and "evidence links must be http(s) URLs" in refused.text
    assert _count(session, ExchangeReport) == 0


def test_each_side_reports_and_replaces_its_report_and_the_results_count_it(
    client: TestClient, session: Session, pair: Pair
) -> None:
    ex = _opened(client, pair, to=("under_way", "completed"))
    csrf = signed_in(client, pair.requester.key)
    links = "https://example.org/a\n\n https://example.org/b "
    form = {"csrf_token": csrf, "version": "0", "outcomes": ["enhanced_knowledge_skills"], "relevance": "5",
            "usefulness": "4", "evidence_links": links}  # fmt: skip
    saved = client.post(f"/ui/my/exchanges/{ex['id']}/report", data=form, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=1#report")
    page = client.get(saved.headers["location"]).text
    assert "Replace your report" in page and "Enhanced knowledge and skills" in page
    assert _version(page.split("/report")[1]) == "1"
    stale = client.post(f"/ui/my/exchanges/{ex['id']}/report", data={**form, "relevance": "3"})
    assert stale.status_code == 409 and "changed meanwhile" in stale.text
    replaced = client.post(f"/ui/my/exchanges/{ex['id']}/report", data={**form, "version": "1",
                           "relevance": "4"}, follow_redirects=False)  # fmt: skip
    assert replaced.status_code == 303
    (report,) = session.scalars(select(ExchangeReport)).all()
    session.refresh(report)
    assert (report.side, report.relevance, report.evidence_links) == (
        "requester", 4, ["https://example.org/a", "https://example.org/b"])  # fmt: skip

    signed_in(client, pair.staff.key)
    staff_page = _text(client.get(f"/ui/exchanges/{ex['id']}").text)
    assert "Requester's report" in staff_page and "4/5" in staff_page and "Not reported yet." in staff_page
    results = _text(client.get("/ui/results").text)
    assert "Brazil MoH" in results and "Enhanced knowledge and skills (1)" in results


def test_a_report_before_completion_is_refused(client: TestClient, session: Session, pair: Pair) -> None:
    ex = _opened(client, pair, to=("under_way",))
    csrf = signed_in(client, pair.provider.key)
    assert "Save the report" not in client.get(f"/ui/my/exchanges/{ex['id']}").text
    form = {"csrf_token": csrf, "version": "0", "relevance": "5", "usefulness": "5"}
    refused = client.post(f"/ui/my/exchanges/{ex['id']}/report", data=form)
    assert refused.status_code == 409 and "reports come once it is completed" in refused.text
    assert _count(session, ExchangeReport) == 0
