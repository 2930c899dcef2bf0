"""Assigning a request from its page, and the requests list's assignment columns, filters and sorting."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.models import AuditEvent, RequestAssignment
from tests.factories import CallerFactory
from tests.ui.conftest import csrf_of, signed_in


def _version(html: str) -> int:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found, "no assignment form"
    return int(found.group(1))


def _titles(html: str) -> list[str]:
    return re.findall(r'<td><a href="/ui/requests/\d+">([^<]+)</a>', html)


def test_staff_assign_a_request_from_its_page_and_see_it_there_and_in_the_list(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int], session: Session
) -> None:
    staff = caller("staff")
    broker = caller("broker")
    csrf = signed_in(client, staff.key)
    url = f"/ui/requests/{catalogue['request']}"
    page = client.get(url).text
    assert "Nobody looks after this request yet." in page and _version(page) == 0
    assert f'<option value="{broker.key_id}">test broker (broker)</option>' in page
    form = {
        "csrf_token": csrf,
        "assignee": str(broker.key_id),
        "status": "in_review",
        "due_on": "2027-03-01",
        "version": "0",
    }
    response = client.post(f"{url}/assignment", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"{url}?assigned=1#assignment"
    shown = client.get(f"{url}?assigned=1").text
    assert "Assignment saved." in shown and "Looked after by <strong>test broker</strong>" in shown
    assert '<time datetime="2027-03-01">' in shown and _version(shown) == 1
    listed = client.get("/ui/requests").text
    row = re.search(r"HIV treatment for rural patients</a>.*?</tr>", listed, re.S)
    assert (
        row and "test broker" in row.group(0) and "in review" in row.group(0) and "2027-03-01" in row.group(0)
    )
    session.expire_all()
    event = session.scalars(select(AuditEvent).where(AuditEvent.event == "request.assigned")).one()
    assert event.actor_key_id == staff.key_id and event.detail["after"]["status"] == "in_review"
    api = client.get(f"/api/v1/requests/{catalogue['request']}/assignment", headers=staff.headers).json()
    assert api["assignee_key_id"] == broker.key_id and api["due_on"] == "2027-03-01" and api["version"] == 1


def test_a_stale_form_is_refused_with_409_and_changes_nothing(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int], session: Session
) -> None:
    csrf = signed_in(client, caller("staff").key)
    url = f"/ui/requests/{catalogue['request']}/assignment"
    first = {"csrf_token": csrf, "status": "in_review", "version": "0"}
    assert client.post(url, data=first, follow_redirects=False).status_code == 303
    stale = {"csrf_token": csrf, "status": "closed", "version": "0"}  # a colleague's old page
    response = client.post(url, data=stale, follow_redirects=False)
    assert response.status_code == 409 and "changed by someone else" in response.text
    assert response.headers["content-type"].startswith("text/html")
    session.expire_all()
    assert session.scalars(select(RequestAssignment)).one().status == "in_review"


def test_assignment_forms_without_csrf_or_with_bad_values_are_refused(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int], session: Session
) -> None:
    csrf = signed_in(client, caller("staff").key)
    url = f"/ui/requests/{catalogue['request']}/assignment"
    cases = [
        ({"status": "in_review", "version": "0"}, 403, "security token"),
        ({"csrf_token": csrf, "status": "maybe", "version": "0"}, 422, "Not valid"),
        ({"csrf_token": csrf, "status": "new", "version": "0", "due_on": "next week"}, 422, "is not a date"),
        ({"csrf_token": csrf, "status": "new", "version": "0", "due_on": "1999-12-31"}, 422, "greater than"),
        ({"csrf_token": csrf, "status": "new", "version": "0", "assignee": "abc"}, 422, "from the list"),
        ({"csrf_token": csrf, "status": "new", "version": "0", "assignee": "999999"}, 422, "not an active"),
    ]
    for form, status, message in cases:
        response = client.post(url, data=form, follow_redirects=False)
        assert response.status_code == status, form
        assert message in response.text, form
    assert session.scalars(select(RequestAssignment)).all() == []


def test_brokers_may_assign_too(client: TestClient, caller: CallerFactory, catalogue: dict[str, int]) -> None:
    csrf = signed_in(client, caller("broker").key)
    url = f"/ui/requests/{catalogue['request']}/assignment"
    form = {"csrf_token": csrf, "assignee": "", "status": "proposed", "version": "0"}
    assert client.post(url, data=form, follow_redirects=False).status_code == 303


def test_the_list_filters_by_assignee_and_progress(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    staff = caller("staff")
    csrf = signed_in(client, staff.key)
    form = {"csrf_token": csrf, "assignee": str(staff.key_id), "status": "proposed", "version": "0"}
    client.post(f"/ui/requests/{catalogue['request']}/assignment", data=form)
    hiv, lonely = "HIV treatment for rural patients", "Regulating artisanal gold mining"
    assert _titles(client.get("/ui/requests?assignee=me").text) == [hiv]
    assert _titles(client.get(f"/ui/requests?assignee={staff.key_id}").text) == [hiv]
    assert _titles(client.get("/ui/requests?assignee=none").text) == [lonely]
    assert _titles(client.get("/ui/requests?assignment=proposed").text) == [hiv]
    assert _titles(client.get("/ui/requests?assignment=new").text) == [lonely]  # never assigned is new
    assert _titles(client.get("/ui/requests?assignment=closed").text) == []
    refused = client.get("/ui/requests?assignment=done")
    assert refused.status_code == 422 and "unknown assignment status" in refused.text
    assert client.get("/ui/requests?assignee=someone").status_code == 422


def test_the_requests_list_sorts_by_its_columns(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    csrf = signed_in(client, caller("staff").key)
    hiv, lonely = "HIV treatment for rural patients", "Regulating artisanal gold mining"
    assert _titles(client.get("/ui/requests?sort=title").text) == [hiv, lonely]
    assert _titles(client.get("/ui/requests?sort=-title").text) == [lonely, hiv]
    assert _titles(client.get("/ui/requests?sort=country").text) == [hiv, lonely]  # KEN before PER
    form = {"csrf_token": csrf, "status": "in_review", "due_on": "2027-01-10", "version": "0"}
    client.post(f"/ui/requests/{catalogue['lonely']}/assignment", data=form)
    for order in ("due", "-due"):  # a request with no due date comes last either way
        assert _titles(client.get(f"/ui/requests?sort={order}").text) == [lonely, hiv]
    html = client.get("/ui/requests?sort=-title&region=002").text
    assert 'aria-sort="descending"' in html and "▼" in html
    assert 'href="/ui/requests?region=002&amp;sort=title"' in html  # the sorted column's link reverses it
    assert client.get("/ui/requests?sort=score").status_code == 422
    assert csrf_of(html)
