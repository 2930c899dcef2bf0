"""The staff pages in a real browser: headless Chromium against a real ``broker serve``.

Needs /usr/bin/chromium (Debian's package; ``make test`` installs it when run as root) and the
playwright package, which drives that Chromium as is (never ``playwright install``). Without them
the tests skip with the reason, unless BROKER_REQUIRE_BROWSER=1, when they fail instead.
The screenshots referenced from the README are written to docs/screenshots/ by these tests when
BROKER_UPDATE_SCREENSHOTS=1 is set; otherwise to a temporary folder, so `make test` leaves the
work tree as it found it.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.reliability.server import REPO, Server, broker_cli, prepare_database, running_server

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # an optional (dev) dependency: the fixture below says what is missing
    sync_playwright = None  # type: ignore[assignment]

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("BROKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = (
    REPO / "docs" / "screenshots"
    if os.environ.get("BROKER_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "broker-screenshots"
)
VIEWPORT = {"width": 1280, "height": 860}


def _unavailable(reason: str) -> None:
    if os.environ.get("BROKER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests required (BROKER_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


@dataclass
class Workspace:
    server: Server
    admin: str
    staff: str
    ids: dict[str, int]

    def api(self, method: str, path: str, key: str, **kwargs: Any) -> Any:
        response = httpx.request(
            method,
            f"{self.server.base_url}/api/v1{path}",
            headers={"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})},
            timeout=30,
            **kwargs,
        )
        assert response.status_code < 300, response.text
        return response.json()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if sync_playwright is None:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def workspace(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    folder = tmp_path_factory.mktemp("ui")
    url = f"sqlite:///{folder / 'x.db'}"
    admin = prepare_database(url)
    staff = (
        broker_cli(url, "keys", "create", "--role", "staff", "--name", "Amina (staff)")
        .strip()
        .splitlines()[-1]
    )
    with running_server(url, folder / "server.log") as server:
        space = Workspace(server=server, admin=admin, staff=staff, ids={})
        _seed(space)
        yield space


def _seed(space: Workspace) -> None:
    """A small catalogue posted through the JSON API, as an admin would."""

    def institution(name: str, country: str, languages: list[str]) -> int:
        body = {"name": name, "country": country, "kind": "government", "languages": languages}
        return int(space.api("POST", "/institutions", space.admin, json=body)["id"])

    def post(kind: str, owner: int, title: str, description: str, sectors: list[str], **extra: Any) -> int:
        body = {
            "institution_id": owner,
            "title": title,
            "description": description,
            "sectors": sectors,
            **extra,
        }
        return int(space.api("POST", f"/{kind}", space.admin, json=body)["id"])

    moz = institution("Ministry of Education, Mozambique", "MOZ", ["pt"])
    fnde = institution("FNDE (National Fund for Education Development)", "BRA", ["pt", "es"])
    kenya = institution("Ministry of Health, Kenya", "KEN", ["en", "sw"])
    rwanda = institution("Rwanda Social Security Board", "RWA", ["en", "fr"])
    colombia = institution("Prosperidad Social, Colombia", "COL", ["es"])
    ghana = institution("Ministry of Food and Agriculture, Ghana", "GHA", ["en"])
    vietnam = institution("Ministry of Agriculture, Viet Nam", "VNM", ["vi", "en"])
    peru = institution("Ministry of Education, Peru", "PER", ["es"])
    india = institution("Ministry of Jal Shakti, India", "IND", ["en", "hi"])
    fiji = institution("Ministry of Fisheries, Fiji", "FJI", ["en"])
    space.ids["school_feeding"] = post(
        "offers", fnde, "School feeding bought from family farmers",
        "A national law makes schools buy at least 30% of their food from local family farms.",
        ["11220", "31120"], modalities=["study_tour", "expert_visit"], cost_usd=40000,
    )  # fmt: skip
    post(
        "offers", rwanda, "Community-based health insurance for informal workers",
        "Mutuelles de santé cover most of the population with premiums tiered by household income.",
        ["12220", "16010"], modalities=["study_tour"], cost_usd=35000,
    )  # fmt: skip
    post(
        "offers", colombia, "Conditional cash transfers with school attendance checks",
        "Families receive transfers when children attend school and health check-ups.",
        ["16010", "11220"], modalities=["expert_visit", "video_conference"], cost_usd=15000,
    )  # fmt: skip
    post(
        "offers", vietnam, "Alternate wetting and drying in irrigated rice",
        "Farmers' groups schedule irrigation to save water and cut methane emissions.",
        ["31140"], modalities=["study_tour"], cost_usd=30000,
    )  # fmt: skip
    space.ids["request"] = post(
        "requests", moz, "Feed pupils from local farms",
        "School meals depend on imported food and reach few rural schools; farmers lack a market.",
        ["11220"], budget_usd=45000, participants=6, modalities=["study_tour"],
    )  # fmt: skip
    post(
        "requests", ghana, "Smallholder irrigation that saves water",
        "Dry-season farming needs irrigation, but water is scarce and canals are poorly managed.",
        ["31140"], budget_usd=20000, participants=4,
    )  # fmt: skip
    post(
        "requests", kenya, "Health cover for informal workers",
        "Most workers are informal and pay for care out of pocket.",
        ["12220"], budget_usd=60000, participants=8,
    )  # fmt: skip
    post(
        "requests", moz, "Licensing artisanal miners",
        "Informal gold mining pollutes rivers with mercury; licensing reaches few miners.",
        ["32210"], budget_usd=10000,
    )  # fmt: skip
    post(
        "requests", ghana, "Solar mini-grids for rural clinics",
        "Clinics far from the grid lose vaccines when diesel generators fail.",
        ["23230"], budget_usd=25000,
    )  # fmt: skip
    post(
        "requests", peru, "Keep rural teenagers in school",
        "Secondary school dropout is high in rural Andean districts; families need the income.",
        ["11220", "16010"], budget_usd=30000, participants=5,
    )  # fmt: skip
    post(
        "requests", india, "Groundwater-saving irrigation for paddy farmers",
        "Falling water tables in rice-growing districts; farmers over-irrigate.",
        ["31140"], budget_usd=40000, participants=10,
    )  # fmt: skip
    post(
        "requests", fiji, "Co-managing coastal fisheries with villages",
        "Reef fish stocks are falling; villages want a say in closures and licences.",
        ["31310"], budget_usd=15000,
    )  # fmt: skip


@pytest.fixture
def page(browser: Browser, workspace: Workspace) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, base_url=workspace.server.base_url)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _sign_in(page: Page, key: str) -> None:
    """With an API key: unfold its form, type the key, Enter submits."""
    page.goto("/ui/requests")
    assert page.url.endswith("/ui/sign-in?next=%2Fui%2Frequests")
    page.get_by_text("Sign in with an API key").click()
    page.get_by_label("API key").focus()
    page.keyboard.type(key)
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/requests")


def test_an_invited_person_sets_a_password_and_signs_in_by_keyboard(page: Page, workspace: Workspace) -> None:
    body = {"email": "lucia@example.org", "display_name": "Lucía (staff)", "role": "staff"}
    link = workspace.api("POST", "/users/invitations", workspace.admin, json=body)["url"]
    page.goto(link.replace("http://127.0.0.1:8000", ""))
    page.get_by_label("New password").fill("a long and private passphrase")
    page.get_by_label("The same password again").fill("a long and private passphrase")
    page.get_by_role("button", name="Set the password").click()
    assert "Your password is set" in page.get_by_role("status").inner_text()
    page.goto("/ui/requests")
    expect(page.get_by_label("Email")).to_be_focused()  # autofocus lands after load
    page.keyboard.type("Lucia@Example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("a long and private passphrase")
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/requests")
    assert "Lucía (staff)" in page.locator("header form.who").inner_text()
    page.get_by_role("link", name="Lucía (staff)").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Your account"


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_staff_sign_in_review_a_match_and_the_api_sees_it(page: Page, workspace: Workspace) -> None:
    _sign_in(page, workspace.staff)
    page.get_by_role("link", name="Gaps").click()
    page.get_by_role("button", name="Rank them now").click()
    page.wait_for_url("**/ui/gaps?ranked=8")
    assert page.get_by_role("status").inner_text() == "Ranked 8 requests."
    heat = page.get_by_role("table")
    assert "Education" in heat.inner_text() and "Industry, Mining, Construction" in heat.inner_text()
    _shot(page, "gaps")

    page.get_by_role("link", name="Requests").click()
    rows = page.locator("table.list tbody tr")
    assert rows.count() == 8
    assert page.locator("tr.unmet", has_text="Licensing artisanal miners").count() == 1
    _shot(page, "requests")

    page.get_by_label("Region").select_option(label="Africa")
    page.get_by_label("Search").fill("pupils")
    page.get_by_role("button", name="Apply").click()
    assert rows.count() == 1
    page.get_by_role("link", name="Feed pupils from local farms").click()
    page.wait_for_url(f"**/ui/requests/{workspace.ids['request']}")
    first = page.locator("article.match").first
    assert "School feeding bought from family farmers" in first.locator("h3").inner_text()
    assert first.locator("table.factors meter").count() == 7  # the seven factors
    match_id = int((first.get_attribute("id") or "").removeprefix("match-"))

    first.get_by_label("Note on this decision").fill("Strong fit: FNDE can host a study tour in March.")
    first.get_by_role("button", name="Accept").click()
    page.wait_for_url(f"**/ui/requests/{workspace.ids['request']}#match-{match_id}")
    history = page.locator(f"#match-{match_id} .history")
    assert "Strong fit: FNDE can host a study tour in March." in history.inner_text()
    assert "Amina (staff)" in history.inner_text()
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "request")

    stored = workspace.api("GET", f"/matches/{match_id}", workspace.admin)
    assert stored["status"] == "accepted"
    assert [r["note"] for r in stored["reviews"]] == ["Strong fit: FNDE can host a study tour in March."]
    assert stored["reviews"][0]["reviewer_name"] == "Amina (staff)"


def test_a_form_posted_without_its_csrf_token_is_refused(page: Page, workspace: Workspace) -> None:
    _sign_in(page, workspace.staff)
    page.goto(f"/ui/requests/{workspace.ids['request']}")
    last = page.locator("article.match").last
    match_id = int((last.get_attribute("id") or "").removeprefix("match-"))
    before = workspace.api("GET", f"/matches/{match_id}", workspace.admin)
    last.locator('input[name="csrf_token"]').evaluate("field => field.remove()")
    last.get_by_role("button", name="Reject").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Not allowed"
    assert re.search("security token", page.get_by_role("alert").inner_text())
    after = workspace.api("GET", f"/matches/{match_id}", workspace.admin)
    assert after["status"] == before["status"] and after["reviews"] == before["reviews"]


def test_the_sign_in_page_works_without_styles_or_scripts_from_elsewhere(
    page: Page, workspace: Workspace
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/ui/sign-in")
    expect(page.get_by_label("Email")).to_be_focused()
    assert all(url.startswith(workspace.server.base_url) for url in requested), requested
    assert len(requested) == 2  # the page and its stylesheet


def test_staff_follow_a_gap_assign_shortlist_export_brief_and_compare(
    page: Page, workspace: Workspace, tmp_path: Path
) -> None:
    _sign_in(page, workspace.staff)
    page.get_by_role("link", name="Gaps").click()
    education = page.locator("table.heat tbody tr", has=page.get_by_role("rowheader", name="Education"))
    americas = [t.strip() for t in page.locator("table.heat thead th").all_inner_texts()].index("Americas")
    education.locator("td").nth(americas - 1).get_by_role("link", name=re.compile(r"^\d+ req$")).click()
    page.wait_for_url("**/ui/requests?sector=110&region=019")
    page.get_by_role("link", name="Keep rural teenagers in school").click()
    page.wait_for_url(re.compile(r"/ui/requests/\d+$"))
    request_url = page.url

    # assign it to oneself, in review, due on a date
    assignment = page.locator("#assignment")
    expect(assignment).to_contain_text("Nobody looks after this request yet.")
    assignment.get_by_label("Assigned to").select_option(label="Amina (staff) (staff)")
    assignment.get_by_label("Progress").select_option("in_review")
    assignment.get_by_label("Due on").fill("2027-02-15")
    assignment.get_by_role("button", name="Save assignment").click()
    page.wait_for_url("**?assigned=1#assignment")
    expect(page.get_by_role("status")).to_have_text("Assignment saved.")
    expect(assignment).to_contain_text("Looked after by Amina (staff) · due 2027-02-15")
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, "assignment")

    # shortlist the first two ranked offers, each with a note
    matches = page.locator("article.match")
    assert matches.count() >= 2
    titles = [matches.nth(i).locator("h3 a").inner_text() for i in range(2)]
    for i, title in enumerate(titles):
        card = page.locator("article.match", has=page.get_by_role("link", name=title, exact=True))
        card.get_by_label("Note on this decision").fill(f"Worth a call ({i + 1})")
        card.get_by_role("button", name="Shortlist").click()
        page.wait_for_url(re.compile(r"#match-\d+$"))
        expect(card.locator(".history")).to_contain_text(f"Worth a call ({i + 1})")
    page.locator("article.match").first.locator("details.offer-text summary").click()
    expect(page.locator("article.match").first.locator("details.offer-text p.description")).to_be_visible()

    # the CSV download holds exactly those two, in the stable columns
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the shortlist (CSV)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name.startswith("shortlist-request-") and saved.suffix == ".csv"
    rows = saved.read_text(encoding="utf-8-sig").splitlines()
    assert rows[0].split(",")[:5] == ["request_id", "request", "rank", "score", "fit"]
    assert len(rows) == 3 and all("Keep rural teenagers in school" in row for row in rows[1:])
    assert [t in "\n".join(rows) for t in titles] == [True, True]
    assert "Worth a call (1)" in rows[1] + rows[2] and "Worth a call (2)" in rows[1] + rows[2]

    # the printable brief: no navigation, the request then both offers
    page.get_by_role("link", name="Printable brief of the shortlist").click()
    page.wait_for_url("**/brief")
    expect(page.get_by_role("heading", level=1)).to_have_text("Keep rural teenagers in school")
    assert page.get_by_role("navigation").count() == 0
    assert page.locator("article.brief-offer h3").all_inner_texts() == [
        f"{i + 1}. {t}" for i, t in enumerate(titles)
    ]
    page.emulate_media(media="print")
    expect(page.locator(".screen-only")).to_be_hidden()
    _shot(page, "brief")
    page.emulate_media(media="screen")

    # compare the two side by side
    page.goto(request_url)
    for title in titles:
        card = page.locator("article.match", has=page.get_by_role("link", name=title, exact=True))
        card.get_by_label("Compare").check()
    page.get_by_role("button", name="Compare the selected offers").click()
    page.wait_for_url(re.compile(r"/compare\?offers=\d+&offers=\d+$"))
    columns = page.locator("table.compare thead th a").all_inner_texts()
    assert columns == titles
    expect(page.locator("table.compare")).to_contain_text("Estimated cost")
    _shot(page, "compare")

    # the list shows the assignment; the offers list sorts by keyboard
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Requests").click()
    page.get_by_label("Assigned to").select_option("me")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("table.list tbody tr")).to_have_count(1)
    expect(page.locator("table.list tbody tr")).to_contain_text("in review")
    nav.get_by_role("link", name="Offers").click()
    page.get_by_role("link", name=re.compile("^Typical cost")).focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/ui/offers?sort=-cost")
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Typical cost")
    costs = page.locator("table.list tbody td.num").all_inner_texts()
    assert costs == sorted(costs, key=lambda c: -float(c.removeprefix("USD\xa0").replace(",", "")))
    _shot(page, "offers")
