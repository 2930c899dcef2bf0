"""An institution's own pages in a real browser: headless Chromium against a real ``broker serve``.

The server runs with the hashing test encoder (``tests.reliability.server.broker_env`` sets
BROKER_ENCODER=hashing), so the suggestions and fits are the test encoder's, not the model's; the
test checks the flow (suggest, accept, save, rank, signal, staff see it), not their quality.
The institution's person is invited as a user (an invitation link from the API), sets a
password and signs in with it; after writing the request, they switch the pages to French and see
the ranked matches' reasons in French (the same sentences as the API's ``Accept-Language: fr``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.reliability.server import broker_cli, prepare_database, running_server
from tests.ui.test_browser import (
    VIEWPORT,
    Workspace,
    _seed,
    _shot,
    browser,  # noqa: F401 (a fixture)
)

try:
    from playwright.sync_api import Browser, Page, expect
except ImportError:  # an optional (dev) dependency: the browser fixture says what is missing
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.browser

PASSWORD = "une phrase de passe longue et privée"
TITLE = "Assurance maladie pour les travailleurs informels"
DESCRIPTION = (
    "La moitié des travailleurs du pays n'ont aucune assurance et paient les soins de leur poche. "
    "Nous voulons apprendre comment d'autres pays ont affilié les travailleurs informels à une "
    "assurance maladie et comment ils ont financé la couverture."
)


@dataclass
class InstitutionWorkspace(Workspace):
    """The staff tests' workspace, plus one French-speaking institution and its key."""

    institution_key: str = ""
    institution_id: int = 0


@pytest.fixture(scope="module")
def space(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[InstitutionWorkspace]:  # noqa: F811
    folder = tmp_path_factory.mktemp("ui-institution")
    url = f"sqlite:///{folder / 'x.db'}"
    admin = prepare_database(url)
    staff = (
        broker_cli(url, "keys", "create", "--role", "staff", "--name", "Amina (staff)")
        .strip()
        .splitlines()[-1]
    )
    with running_server(url, folder / "server.log") as server:
        space = InstitutionWorkspace(server=server, admin=admin, staff=staff, ids={})
        _seed(space)
        senegal = space.api(
            "POST",
            "/institutions",
            admin,
            json={
                "name": "Ministère de la Santé, Sénégal",
                "country": "SEN",
                "kind": "government",
                "languages": ["fr"],
            },
        )
        space.institution_id = int(senegal["id"])
        space.institution_key = (
            broker_cli(
                url,
                "keys",
                "create",
                "--role",
                "institution",
                "--institution",
                str(senegal["id"]),
                "--name",
                "Awa (Sénégal)",
            )
            .strip()
            .splitlines()[-1]
        )
        yield space


def _new_page(browser: Browser, space: InstitutionWorkspace) -> Page:  # noqa: F811
    context = browser.new_context(viewport=VIEWPORT, base_url=space.server.base_url)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _sign_in(page: Page, key: str, *, lands_on: str) -> None:
    """With an API key: unfold its form on the sign-in page, type the key, Enter submits."""
    page.goto("/ui/requests")
    page.get_by_text("Sign in with an API key").click()
    page.get_by_label("API key").focus()
    page.keyboard.type(key)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{lands_on}")


def test_an_institution_writes_a_request_in_french_and_marks_a_match_interested(
    browser: Browser,  # noqa: F811
    space: InstitutionWorkspace,
) -> None:
    page = _new_page(browser, space)
    invitation = {"email": "awa@sante.gouv.sn", "display_name": "Awa Ndiaye", "role": "institution",
                  "institution_id": space.institution_id}  # fmt: skip
    link = space.api("POST", "/users/invitations", space.admin, json=invitation)["url"]
    page.goto(link.replace("http://127.0.0.1:8000", ""))
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("The same password again").fill(PASSWORD)
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is set")
    page.goto("/ui/my/requests")
    page.get_by_label("Email").fill("awa@sante.gouv.sn")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/ui/my/requests")
    assert page.get_by_role("heading", level=1).inner_text() == "My requests"

    page.get_by_role("link", name="New request").click()
    page.wait_for_url("**/ui/my/requests/new")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Description").fill(DESCRIPTION)
    page.get_by_role("button", name="Suggest codes from the text").click()
    expect(page.get_by_role("status")).to_contain_text("Codes suggested from your text")
    assert page.get_by_label("Title").input_value() == TITLE  # the text survives the step
    suggested = page.locator("ul.choices li", has=page.locator(".badge.suggested"))
    assert suggested.count() > 0
    # Accept every suggestion the service ticked, and one more it did not (if there is one).
    unticked = page.locator("ul.choices li:has(.badge.suggested) input[type=checkbox]:not(:checked)")
    if unticked.count():
        unticked.first.check()
    chosen = {
        kind: page.locator(f'input[type=checkbox][name="{kind}"]:checked').evaluate_all(
            "els => els.map(e => e.value)"
        )
        for kind in ("sectors", "sdgs", "modalities", "outcomes")
    }
    assert any(chosen.values())
    _shot(page, "institution-form")
    page.get_by_label("Budget (USD)").fill("30000")
    page.get_by_role("button", name="Save request").click()
    page.wait_for_url(re.compile(r".*/ui/my/requests/\d+\?saved=1$"))
    request_id = int(re.findall(r"/ui/my/requests/(\d+)", page.url)[0])

    stored = space.api("GET", f"/requests/{request_id}", space.admin)
    assert stored["institution_id"] == space.institution_id
    assert (stored["country"], stored["languages"], stored["text_language"]) == ("SEN", ["fr"], "fr")
    assert stored["sectors"] == chosen["sectors"] and stored["sdgs"] == [int(s) for s in chosen["sdgs"]]
    assert stored["modalities"] == chosen["modalities"] and stored["desired_outcomes"] == chosen["outcomes"]

    page.get_by_role("link", name="Français").click()  # the language switch in every page's header
    page.wait_for_url(re.compile(rf".*/ui/my/requests/{request_id}.*"))
    assert page.locator("html").get_attribute("lang") == "fr"
    matches = page.locator("article.match")
    assert matches.count() >= 1
    first = matches.first
    match_id = int((first.get_attribute("id") or "").removeprefix("match-"))
    french = space.api(
        "GET", f"/requests/{request_id}/matches", space.admin, headers={"Accept-Language": "fr"}
    )
    english = space.api("GET", f"/requests/{request_id}/matches", space.admin)
    shown = first.locator("ul.reasons li").all_inner_texts()
    by_match = {i["id"]: i for i in french["items"]}
    assert shown and shown == by_match[match_id]["reasons"]  # the API's French sentences
    assert shown != {i["id"]: i for i in english["items"]}[match_id]["reasons"]
    offer_title = first.locator("h3").inner_text()
    first.locator("button[name=signal][value=interested]").click()
    page.wait_for_url(f"**/ui/my/requests/{request_id}#match-{match_id}")
    expect(page.locator(f"#match-{match_id} button[value=interested]")).to_have_attribute(
        "aria-pressed", "true"
    )
    _shot(page, "institution-record")
    page.context.close()

    staff = _new_page(browser, space)
    _sign_in(staff, space.staff, lands_on="/ui/requests")
    staff.goto(f"/ui/requests/{request_id}")
    badge = staff.locator(f"#match-{match_id} .signals")
    expect(badge).to_contain_text("Requester: interested")
    assert offer_title.split(" ", 1)[1] in staff.locator(f"#match-{match_id} h3").inner_text()
    staff.context.close()

    seen = space.api("GET", f"/matches/{match_id}", space.admin)
    assert [(s["side"], s["signal"]) for s in seen["signals"]] == [("requester", "interested")]


def test_an_institution_session_never_opens_the_staff_pages(
    browser: Browser,  # noqa: F811
    space: InstitutionWorkspace,
) -> None:
    page = _new_page(browser, space)
    _sign_in(page, space.institution_key, lands_on="/ui/my/requests")
    for path in ("/ui/requests", "/ui/gaps", f"/ui/requests/{space.ids['request']}"):
        page.goto(path)
        assert page.url.endswith("/ui/my/requests"), path
    assert page.get_by_role("link", name="Gaps").count() == 0
    page.context.close()
