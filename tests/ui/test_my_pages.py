"""An institution's own pages (/ui/my): its records, the plain-language form with its suggestion step,
ranked matches of its own records, and its "interested" / "not relevant" signal on them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.models import Institution, KnowledgeRequest, Match, MatchReview, MatchSignal, Offer
from broker.services.suggestions import CONFIDENT
from tests.factories import (
    Caller,
    CallerFactory,
    make_caller,
    make_hiv_catalogue,
    make_institution,
    make_offer,
    make_request,
)
from tests.ui.conftest import signed_in

FRENCH_TITLE = "Traitement du VIH pour les patients ruraux"
FRENCH_TEXT = (
    "Nos cliniques rurales manquent de traitements antirétroviraux; nous voulons apprendre comment "
    "d'autres pays ont étendu le traitement gratuit du VIH."
)


@dataclass
class World:
    ids: dict[str, int]
    kenya: Caller
    peru: Caller
    staff: Caller


@pytest.fixture
def world(session: Session, caller: CallerFactory) -> World:
    """Kenya (the institution signed in) asks for HIV treatment; Brazil offers it; Peru has a draft."""
    base = make_hiv_catalogue(session)
    peru = make_institution(session, name="Peru mining", country="PER", languages=["es"])
    peru_draft = make_request(session, peru, title="Peru's unfinished draft", status="draft")
    peru_offer = make_offer(session, peru, title="Peru's published offer")
    kenya = base["kenya"]
    assert isinstance(kenya, Institution)
    kenya_draft_offer = make_offer(session, kenya, title="Kenya's draft offer", status="draft")
    ids = {
        "request": base["request"].id,
        "hiv": base["hiv"].id,
        "kenya": base["kenya"].id,
        "brazil": base["brazil"].id,
        "peru_draft": peru_draft.id,
        "peru_offer": peru_offer.id,
        "kenya_draft_offer": kenya_draft_offer.id,
    }
    return World(
        ids=ids,
        kenya=caller("institution", base["kenya"]),
        peru=caller("institution", peru),
        staff=caller("staff"),
    )


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _form(csrf: str, **fields: Any) -> dict[str, Any]:
    return {"csrf_token": csrf, "title": FRENCH_TITLE, "description": FRENCH_TEXT, **fields}


def _checked(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]+)" checked', html)


def _offered(html: str, name: str) -> list[str]:
    return re.findall(rf'type="checkbox" name="{name}" value="([^"]+)"', html)


# --- signing in and who sees which pages ---------------------------------------------------------


def test_an_institution_signs_in_and_lands_on_its_own_requests(client: TestClient, world: World) -> None:
    signed_in(client, world.kenya.key)
    page = client.get("/ui/requests")
    assert str(page.url).endswith("/ui/my/requests")
    assert "HIV treatment for rural patients" in page.text
    assert "Peru" not in page.text and "Irrigation canal" not in page.text


@pytest.mark.parametrize("path", ["/ui/requests", "/ui/gaps", "/ui/requests/{request}", "/ui/offers/{hiv}"])
def test_staff_pages_send_an_institution_to_its_own_pages(
    client: TestClient, world: World, path: str
) -> None:
    signed_in(client, world.kenya.key)
    response = client.get(path.format(**world.ids), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/ui/my/requests"


def test_an_institution_cannot_post_a_staff_decision(
    client: TestClient, session: Session, world: World
) -> None:
    match = Match(request_id=world.ids["request"], offer_id=world.ids["hiv"], profile="default", score=0.5)
    session.add(match)
    session.flush()
    csrf = signed_in(client, world.kenya.key)
    response = client.post(f"/ui/matches/{match.id}/review", data={"csrf_token": csrf, "status": "accepted"})
    assert response.status_code == 403
    assert _count(session, MatchReview) == 0


def test_staff_are_sent_from_institution_pages_and_cannot_post_their_forms(
    client: TestClient, session: Session, world: World
) -> None:
    csrf = signed_in(client, world.staff.key)
    response = client.get("/ui/my/requests/new", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/ui/requests"
    before = _count(session, KnowledgeRequest)
    posted = client.post("/ui/my/requests/new", data=_form(csrf, action="save"))
    assert posted.status_code == 403
    assert _count(session, KnowledgeRequest) == before


@pytest.mark.parametrize(
    "path",
    [
        "/ui/my/requests/{peru_draft}",
        "/ui/my/requests/{peru_draft}/edit",
        "/ui/my/offers/{peru_offer}",
        "/ui/my/offers/{hiv}/edit",
        "/ui/my/requests/999999",
    ],
)
def test_other_institutions_records_are_not_found_on_my_pages(
    client: TestClient, world: World, path: str
) -> None:
    signed_in(client, world.kenya.key)
    response = client.get(path.format(**world.ids))
    assert response.status_code == 404
    assert "Peru's unfinished draft" not in response.text


def test_an_edit_of_another_institutions_record_is_refused_and_changes_nothing(
    client: TestClient, session: Session, world: World
) -> None:
    csrf = signed_in(client, world.kenya.key)
    url = f"/ui/my/requests/{world.ids['peru_draft']}/edit"
    response = client.post(url, data=_form(csrf, version="1", action="save"))
    assert response.status_code == 404
    draft = session.get(KnowledgeRequest, world.ids["peru_draft"])
    assert draft is not None and draft.title == "Peru's unfinished draft"


def test_own_lists_include_drafts_and_only_own_records(client: TestClient, world: World) -> None:
    signed_in(client, world.kenya.key)
    offers = client.get("/ui/my/offers").text
    assert "Kenya&#39;s draft offer" in offers
    assert "HIV treatment scale-up" not in offers and "Peru&#39;s published offer" not in offers


# --- the form -------------------------------------------------------------------------------------


def test_the_new_request_form_asks_title_and_description_first_and_shows_the_institutions_country(
    client: TestClient, world: World
) -> None:
    signed_in(client, world.kenya.key)
    html = client.get("/ui/my/requests/new").text
    assert html.index('name="title"') < html.index('name="description"') < html.index('value="suggest"')
    assert html.index('value="suggest"') < html.index("Sectors") < html.index('name="budget_usd"')
    assert "Kenya" in html and "Swahili" in html
    assert 'name="country"' not in html and 'name="languages"' not in html
    for field in ("budget_usd", "participants", "more_outcomes"):
        assert f'name="{field}"' in html


def test_the_suggest_step_ticks_the_confident_suggestions_and_stores_nothing(
    client: TestClient, session: Session, world: World
) -> None:
    csrf = signed_in(client, world.kenya.key)
    before = _count(session, KnowledgeRequest)
    page = client.post("/ui/my/requests/new", data=_form(csrf, action="suggest"))
    assert page.status_code == 200
    html = unescape(page.text)
    expected = client.post(
        "/api/v1/suggest",
        json={"title": FRENCH_TITLE, "description": FRENCH_TEXT},
        headers=world.kenya.headers,
    ).json()
    for kind in ("sectors", "sdgs", "modalities", "outcomes"):
        entries = expected[kind]
        assert _offered(html, kind) == [str(e["code"]) for e in entries]
        assert _checked(html, kind) == [str(e["code"]) for e in entries if e["confidence"] >= CONFIDENT]
        for entry in entries:
            assert entry["name"] in html
    assert any(expected[kind] for kind in ("sdgs", "modalities", "outcomes"))
    assert html.count('class="badge suggested"') == sum(
        len(expected[k]) for k in ("sectors", "sdgs", "modalities", "outcomes")
    )
    assert FRENCH_TEXT in html  # what the user typed is kept
    assert _count(session, KnowledgeRequest) == before


def test_the_suggest_step_without_a_text_says_what_to_write(client: TestClient, world: World) -> None:
    csrf = signed_in(client, world.kenya.key)
    page = client.post("/ui/my/requests/new", data=_form(csrf, description="", action="suggest"))
    assert page.status_code == 422
    assert 'id="description-error"' in page.text and "codes are read from them" in page.text


def test_saving_creates_the_request_with_the_accepted_codes_and_the_institutions_country(
    client: TestClient, session: Session, world: World
) -> None:
    csrf = signed_in(client, world.kenya.key)
    form = _form(
        csrf,
        action="save",
        sectors=["13040"],
        sdgs=["3"],
        modalities=["study_tour", "expert_visit"],
        outcomes=["enhanced_knowledge_skills"],
        more_sectors="12220",
        budget_usd="40,000",
        participants="5",
        status="open",
    )
    response = client.post("/ui/my/requests/new", data=form, follow_redirects=False)
    assert response.status_code == 303
    found = re.fullmatch(r"/ui/my/requests/(\d+)\?saved=1", response.headers["location"])
    assert found
    stored = session.get(KnowledgeRequest, int(found.group(1)))
    assert stored is not None
    assert stored.institution_id == world.ids["kenya"] and stored.title == FRENCH_TITLE
    assert (stored.country, stored.languages) == ("KEN", ["en", "sw"])
    assert stored.sectors == ["13040", "12220"] and stored.sdgs == [3]
    assert stored.modalities == ["study_tour", "expert_visit"]
    assert stored.desired_outcomes == ["enhanced_knowledge_skills"]
    assert (stored.budget_usd, stored.participants, stored.status) == (40000.0, 5, "open")
    assert stored.text_language == "fr" and stored.suggested  # the same understanding as the API's


def test_a_new_offer_has_cost_and_capacity_and_no_outcomes(
    client: TestClient, session: Session, world: World
) -> None:
    csrf = signed_in(client, world.kenya.key)
    html = client.get("/ui/my/offers/new").text
    assert 'name="cost_usd"' in html and 'name="capacity_per_year"' in html and "more_outcomes" not in html
    form = {
        "csrf_token": csrf,
        "action": "save",
        "title": "Community health workers in every village",
        "description": "How Kenya trained and deployed community health volunteers.",
        "sectors": ["12220"],
        "cost_usd": "20000",
        "capacity_per_year": "3",
        "status": "draft",
    }
    response = client.post("/ui/my/offers/new", data=form, follow_redirects=False)
    assert response.status_code == 303
    offer = session.scalars(select(Offer).where(Offer.title == form["title"])).one()
    assert (offer.institution_id, offer.cost_usd, offer.capacity_per_year, offer.status) == (
        world.ids["kenya"],
        20000.0,
        3,
        "draft",
    )


def test_bad_input_comes_back_with_messages_next_to_the_fields_and_stores_nothing(
    client: TestClient, session: Session, world: World
) -> None:
    csrf = signed_in(client, world.kenya.key)
    before = _count(session, KnowledgeRequest)
    form = _form(csrf, action="save", title="ab", budget_usd="lots", participants="0", more_sectors="99999")
    page = client.post("/ui/my/requests/new", data=form)
    assert page.status_code == 422
    html = unescape(page.text)
    assert 'id="budget_usd-error"' in html and "enter an amount in USD" in html
    page = client.post("/ui/my/requests/new", data=form | {"budget_usd": "1000"})
    html = unescape(page.text)
    assert page.status_code == 422
    for field in ("title", "participants", "sectors"):
        assert f'id="{field}-error"' in html, field
    assert "99999" in html and FRENCH_TEXT in html  # the input is kept
    assert 'aria-invalid="true"' in html
    assert _count(session, KnowledgeRequest) == before


def test_a_tampered_status_is_refused_with_a_message(
    client: TestClient, session: Session, world: World
) -> None:
    csrf = signed_in(client, world.kenya.key)
    before = _count(session, KnowledgeRequest)
    page = client.post("/ui/my/requests/new", data=_form(csrf, action="save", status="matched-ish"))
    assert page.status_code == 422 and 'id="status-error"' in page.text
    assert _count(session, KnowledgeRequest) == before


# --- editing --------------------------------------------------------------------------------------


def test_an_edit_saves_at_the_version_it_was_read(client: TestClient, session: Session, world: World) -> None:
    csrf = signed_in(client, world.kenya.key)
    url = f"/ui/my/requests/{world.ids['request']}/edit"
    html = client.get(url).text
    assert 'name="version" value="1"' in html and _checked(html, "sectors") == ["13040"]
    form = {
        "csrf_token": csrf,
        "version": "1",
        "action": "save",
        "title": "HIV treatment for rural and peri-urban patients",
        "description": "We need to expand HIV treatment with antiretroviral therapy.",
        "sectors": ["13040"],
        "modalities": ["study_tour"],
        "budget_usd": "",
        "status": "open",
    }
    response = client.post(url, data=form, follow_redirects=False)
    assert response.status_code == 303
    stored = session.get(KnowledgeRequest, world.ids["request"])
    assert stored is not None
    assert stored.title == form["title"] and stored.budget_usd is None and stored.version == 2


def test_a_stale_edit_says_so_keeps_the_input_and_changes_nothing(
    client: TestClient, session: Session, world: World
) -> None:
    csrf = signed_in(client, world.kenya.key)
    url = f"/ui/my/requests/{world.ids['request']}/edit"
    assert 'name="version" value="1"' in client.get(url).text
    meanwhile = client.patch(
        f"/api/v1/requests/{world.ids['request']}",
        json={"version": 1, "title": "Changed through the API meanwhile"},
        headers=world.kenya.headers,
    )
    assert meanwhile.status_code == 200
    form = _form(csrf, version="1", action="save", sectors=["13040"], budget_usd="7000", status="open")
    page = client.post(url, data=form)
    assert page.status_code == 409
    html = unescape(page.text)
    assert "Someone changed this record while you were editing it" in html
    assert f'value="{FRENCH_TITLE}"' in html and 'value="7000"' in html
    stored = session.get(KnowledgeRequest, world.ids["request"])
    assert stored is not None
    session.refresh(stored)
    assert stored.title == "Changed through the API meanwhile" and stored.budget_usd == 50000


def test_a_form_post_without_its_csrf_token_is_refused(
    client: TestClient, session: Session, world: World
) -> None:
    signed_in(client, world.kenya.key)
    before = _count(session, KnowledgeRequest)
    page = client.post("/ui/my/requests/new", data=_form("", action="save"))
    assert page.status_code == 403 and "security token" in page.text
    assert _count(session, KnowledgeRequest) == before


# --- matches and signals --------------------------------------------------------------------------


def _match_ids(html: str) -> list[int]:
    return [int(m) for m in re.findall(r'action="/ui/my/matches/(\d+)/signal"', html)]


def test_the_record_page_shows_ranked_matches_with_fit_reasons_and_cost(
    client: TestClient, world: World
) -> None:
    signed_in(client, world.kenya.key)
    page = client.get(f"/ui/my/requests/{world.ids['request']}")
    assert page.status_code == 200
    html = unescape(page.text)
    assert html.index("HIV treatment scale-up") < html.index("Irrigation canal management")
    assert "Brazil MoH · Brazil" in html and "Egypt irrigation · Egypt" in html
    assert re.search(r'class="badge fit-(strong|possible|weak)"', html)
    assert "Same sector: STD control including HIV/AIDS" in html
    assert "Estimated cost" in html and "your budget USD\xa050,000" in html
    assert len(_match_ids(html)) == 3  # the published offers of Brazil, Egypt and Peru
    assert "Kenya&#39;s draft offer" not in page.text
    assert ">Interested</button>" in html and ">Not relevant</button>" in html
    assert "score" in html and '<table class="factors"' not in html  # no staff factor bars here


def test_interested_on_a_match_is_stored_and_staff_see_it(
    client: TestClient, session: Session, world: World
) -> None:
    csrf = signed_in(client, world.kenya.key)
    record = f"/ui/my/requests/{world.ids['request']}"
    match_id = _match_ids(client.get(record).text)[0]
    form = {"csrf_token": csrf, "signal": "interested", "note": "Brazil's model fits us", "back": record}
    response = client.post(f"/ui/my/matches/{match_id}/signal", data=form, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"{record}#match-{match_id}"
    stored = session.scalars(select(MatchSignal).where(MatchSignal.match_id == match_id)).one()
    assert (stored.side, stored.signal, stored.institution_id) == (
        "requester",
        "interested",
        world.ids["kenya"],
    )
    assert "You said: Interested" in client.get(record).text

    signed_in(client, world.staff.key)
    staff_page = unescape(client.get(f"/ui/requests/{world.ids['request']}").text)
    article = staff_page[staff_page.index(f'id="match-{match_id}"') :]
    article = article[: article.index("</article>")]
    assert "Requester: interested" in article and "Brazil's model fits us" in article


def test_not_relevant_replaces_interested_and_the_history_is_kept(
    client: TestClient, session: Session, world: World
) -> None:
    csrf = signed_in(client, world.kenya.key)
    record = f"/ui/my/requests/{world.ids['request']}"
    match_id = _match_ids(client.get(record).text)[0]
    for signal in ("interested", "not_relevant"):
        client.post(
            f"/ui/my/matches/{match_id}/signal", data={"csrf_token": csrf, "signal": signal, "back": record}
        )
    assert _count(session, MatchSignal) == 2
    assert "You said: Not relevant" in client.get(record).text
    signed_in(client, world.staff.key)
    staff_page = client.get(f"/ui/requests/{world.ids['request']}").text
    assert "Requester: not relevant" in staff_page and "Requester: interested" not in staff_page


def test_a_signal_without_csrf_or_on_someone_elses_match_changes_nothing(
    client: TestClient, session: Session, world: World
) -> None:
    signed_in(client, world.kenya.key)
    match_id = _match_ids(client.get(f"/ui/my/requests/{world.ids['request']}").text)[0]
    refused = client.post(f"/ui/my/matches/{match_id}/signal", data={"signal": "interested"})
    assert refused.status_code == 403
    peru_csrf = signed_in(client, world.peru.key)
    hidden = client.post(
        f"/ui/my/matches/{match_id}/signal", data={"csrf_token": peru_csrf, "signal": "interested"}
    )
    assert hidden.status_code == 404
    assert _count(session, MatchSignal) == 0


def test_a_signal_never_redirects_off_the_institution_pages(client: TestClient, world: World) -> None:
    csrf = signed_in(client, world.kenya.key)
    match_id = _match_ids(client.get(f"/ui/my/requests/{world.ids['request']}").text)[0]
    for back in ("https://evil.example/", "//evil.example/ui/my/", "/ui/requests", "/ui/my/../api"):
        response = client.post(
            f"/ui/my/matches/{match_id}/signal",
            data={"csrf_token": csrf, "signal": "interested", "back": back},
            follow_redirects=False,
        )
        assert response.headers["location"] == f"/ui/my/requests#match-{match_id}", back


def test_an_offer_page_lists_requests_it_could_serve_and_a_draft_says_to_publish(
    client: TestClient, session: Session, world: World
) -> None:
    brazil = session.get_one(Institution, world.ids["brazil"])
    signed_in(client, make_caller(session, "institution", brazil).key)
    html = unescape(client.get(f"/ui/my/offers/{world.ids['hiv']}").text)
    assert "HIV treatment for rural patients" in html and "Kenya MoH · Kenya" in html
    signed_in(client, world.kenya.key)
    draft = client.get(f"/ui/my/offers/{world.ids['kenya_draft_offer']}").text
    assert "publish this offer" in draft
