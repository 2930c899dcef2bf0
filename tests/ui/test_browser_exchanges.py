"""After the match, in a real browser: staff accept a match, open its exchange and carry it to
completed; the requesting and the providing institution each report on it from their own pages; the
provider's offer then carries its track record into its next match, on another request.

Headless Chromium against a real ``broker serve``, as in test_browser.py (same requirements, and
BROKER_REQUIRE_BROWSER=1 turns a missing browser into a failure).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.reliability.server import broker_cli, prepare_database, running_server
from tests.ui.test_browser import (
    Workspace,
    _seed,
    _shot,
    browser,  # noqa: F401 (a fixture)
)
from tests.ui.test_browser_institution import _new_page, _sign_in

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # an optional (dev) dependency: the browser fixture says what is missing
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.browser

OFFER = "School feeding bought from family farmers"
TRACK_RECORD = "1 completed exchange on this topic, rated 4.5/5 by receivers"


@dataclass
class ExchangeWorkspace(Workspace):
    """The staff tests' workspace, plus a key per side of the school-feeding pair."""

    keys: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def space(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExchangeWorkspace]:  # noqa: F811
    """The staff tests' catalogue, with a key for the requesting (Mozambique) and the providing
    (FNDE, Brazil) institution of the school-feeding pair."""
    folder = tmp_path_factory.mktemp("ui-exchanges")
    url = f"sqlite:///{folder / 'x.db'}"
    admin = prepare_database(url)

    def key(role: str, name: str, *extra: str) -> str:
        made = broker_cli(url, "keys", "create", "--role", role, *extra, "--name", name)
        return made.strip().splitlines()[-1]

    staff = key("staff", "Amina (staff)")
    with running_server(url, folder / "server.log") as server:
        space = ExchangeWorkspace(server=server, admin=admin, staff=staff, ids={})
        _seed(space)
        request = space.api("GET", f"/requests/{space.ids['request']}", admin)
        offer = space.api("GET", f"/offers/{space.ids['school_feeding']}", admin)
        requester, provider = str(request["institution_id"]), str(offer["institution_id"])
        space.keys["requester"] = key("institution", "Inês (Mozambique)", "--institution", requester)
        space.keys["provider"] = key("institution", "Paulo (FNDE)", "--institution", provider)
        yield space


def _report(page: Page, exchange_id: int, *, relevance: str, usefulness: str, adopted: str) -> None:
    page.get_by_role("link", name="My exchanges").click()
    page.get_by_role("link", name=f"Exchange {exchange_id}").click()
    page.wait_for_url(f"**/ui/my/exchanges/{exchange_id}")
    form = page.locator("form[action$='/report']")
    form.get_by_label("Enhanced knowledge and skills").check()
    form.get_by_label("Relevance to your needs").select_option(relevance)
    form.get_by_label("Usefulness of what you learned").select_option(usefulness)
    form.get_by_label("What was adopted or changed afterwards").fill(adopted)
    form.get_by_label("Evidence links").fill("https://example.org/decree\nhttps://example.org/photos")
    form.get_by_role("button", name="Save the report").click()
    page.wait_for_url(f"**/ui/my/exchanges/{exchange_id}?saved=1#report")
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_role("heading", name="Replace your report")).to_be_visible()


def test_an_exchange_is_completed_reported_by_both_sides_and_feeds_the_track_record(
    browser: Browser,  # noqa: F811
    space: ExchangeWorkspace,
) -> None:
    staff = _new_page(browser, space)  # type: ignore[arg-type]
    _sign_in(staff, space.staff, lands_on="/ui/requests")
    staff.goto(f"/ui/requests/{space.ids['request']}")
    card = staff.locator("article.match", has=staff.get_by_role("link", name=OFFER, exact=True))
    card.get_by_label("Note on this decision").fill("FNDE hosts a study tour in March.")
    card.get_by_role("button", name="Accept").click()
    staff.wait_for_url(re.compile(r"#match-\d+$"))
    card.get_by_role("button", name="Open exchange").click()
    staff.wait_for_url(re.compile(r"/ui/exchanges/\d+\?opened=1$"))
    exchange_id = int(re.findall(r"/ui/exchanges/(\d+)", staff.url)[0])
    expect(staff.get_by_role("status")).to_have_text("Exchange opened.")
    expect(staff.get_by_role("heading", level=1)).to_contain_text("planned")
    staff.get_by_label("Who pays").fill("South-South cooperation fund")
    staff.get_by_role("button", name="Save the exchange").click()
    staff.wait_for_url("**?saved=1")
    for move, shown in (("Mark under way", "under way"), ("Mark completed", "completed")):
        staff.get_by_role("button", name=move).click()
        staff.wait_for_url("**?saved=1#status")
        expect(staff.get_by_role("heading", level=1)).to_contain_text(shown)
    history = staff.locator("#history")
    expect(history).to_contain_text("moved it from under way to completed")
    expect(history).to_contain_text("Amina (staff)")
    assert staff.get_by_role("button", name=re.compile("^Mark ")).count() == 0

    for side, relevance, usefulness, adopted in (
        ("requester", "5", "4", "Um decreto sobre compras locais para a merenda escolar."),
        ("provider", "4", "4", "We adapted our training materials for Portuguese-speaking Africa."),
    ):
        page = _new_page(browser, space)  # type: ignore[arg-type]
        _sign_in(page, space.keys[side], lands_on="/ui/my/requests")
        _report(page, exchange_id, relevance=relevance, usefulness=usefulness, adopted=adopted)
        if side == "requester":
            _shot(page, "institution-report")
        page.context.close()

    staff.reload()
    expect(staff.locator("#report-requester")).to_contain_text("Um decreto sobre compras locais")
    expect(staff.locator("#report-provider")).to_contain_text("We adapted our training materials")
    staff.evaluate("window.scrollTo(0, 0)")
    _shot(staff, "exchange")
    staff.get_by_role("navigation", name="Main").get_by_role("link", name="Results").click()
    providers = staff.locator("#providers")
    expect(providers).to_contain_text("FNDE")
    expect(providers).to_contain_text("Enhanced knowledge and skills (1)")
    _shot(staff, "results")

    # the offer's next match, on another institution's request, shows its track record
    staff.get_by_role("navigation", name="Main").get_by_role("link", name="Requests").click()
    staff.get_by_role("link", name="Keep rural teenagers in school").click()
    staff.wait_for_url(re.compile(r"/ui/requests/\d+$"))
    card = staff.locator("article.match", has=staff.get_by_role("link", name=OFFER, exact=True))
    assert card.locator("table.factors tr").count() == 7
    expect(card.locator("table.factors")).to_contain_text("track record")
    expect(card.locator("ul.reasons")).to_contain_text(TRACK_RECORD)
    staff.context.close()
