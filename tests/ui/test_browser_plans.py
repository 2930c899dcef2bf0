"""A portfolio plan in a real browser: staff build a plan over the demo corpus's open requests,
review it, and shortlist three of its lines, which then show as shortlisted matches.

Headless Chromium against a real ``broker serve`` over the demo corpus (``broker demo load``), as in
test_browser.py (same requirements; BROKER_REQUIRE_BROWSER=1 turns a missing browser into a failure).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.reliability.server import broker_cli, prepare_database, running_server
from tests.ui.test_browser import Workspace, browser  # noqa: F401 (a fixture)
from tests.ui.test_browser_institution import _new_page, _sign_in

try:
    from playwright.sync_api import Browser, expect
except ImportError:  # an optional (dev) dependency: the browser fixture says what is missing
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def space(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:  # noqa: F811
    folder = tmp_path_factory.mktemp("ui-plans")
    url = f"sqlite:///{folder / 'plans.db'}"
    admin = prepare_database(url)
    broker_cli(url, "demo", "load")
    staff = (
        broker_cli(url, "keys", "create", "--role", "staff", "--name", "Amina (staff)")
        .strip()
        .splitlines()[-1]
    )
    with running_server(url, folder / "server.log") as server:
        yield Workspace(server=server, admin=admin, staff=staff, ids={})


def test_staff_build_a_plan_review_it_and_shortlist_three_lines(
    browser: Browser,  # noqa: F811
    space: Workspace,
) -> None:
    page = _new_page(browser, space)  # type: ignore[arg-type]
    _sign_in(page, space.staff, lands_on="/ui/requests")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plans", exact=True).click()
    page.wait_for_url("**/ui/plans")
    expect(page.get_by_text("No plan yet.")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Demo portfolio")
    page.get_by_label("Let weak fits be lines").check()  # the test encoder labels every match weak
    page.get_by_role("button", name="Build the plan over every open request").click()
    page.wait_for_url(re.compile(r".*/ui/plans/\d+$"), timeout=120_000)
    plan_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", name="Demo portfolio")).to_be_visible()
    expect(page.locator("#plan-summary")).to_contain_text("optimal over the candidate lines")
    plan = space.api("GET", f"/plans/{plan_id}", space.staff)
    assert plan["n_requests"] >= 50 and plan["n_served"] >= 3
    assert plan["objective"] >= plan["greedy_objective"] - 1e-9

    boxes = page.locator("#plan-lines input[name='line_ids']")
    assert boxes.count() >= 3
    chosen = [int(boxes.nth(i).get_attribute("value") or 0) for i in range(3)]
    for i in range(3):
        boxes.nth(i).check()
    page.get_by_role("button", name="Shortlist the ticked lines").click()
    page.wait_for_url(f"**/ui/plans/{plan_id}?shortlisted=3")
    expect(page.get_by_role("status")).to_have_text("Shortlisted 3 lines.")
    for line_id in chosen:
        expect(page.locator(f"#line-{line_id}")).to_contain_text("shortlisted")

    lines = {line["id"]: line for line in space.api("GET", f"/plans/{plan_id}", space.staff)["lines"]}
    for line_id in chosen:
        match = space.api("GET", f"/matches/{lines[line_id]['match_id']}", space.staff)
        assert match["status"] == "shortlisted"
        assert match["reviews"][-1]["note"] == f"From plan {plan_id} (Demo portfolio)"
