"""The offers list: accent-insensitive search, filters, sortable columns and pages."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from broker.services import ui_workspace
from tests.factories import CallerFactory, make_institution, make_offer
from tests.ui.conftest import signed_in


def _titles(html: str) -> list[str]:
    return re.findall(r'<td><a href="/ui/offers/\d+">([^<]+)</a>', html)


def _catalogue(session: Session) -> dict[str, int]:
    brazil = make_institution(session, name="FNDE Brazil", country="BRA", languages=["pt", "es"])
    rwanda = make_institution(session, name="Rwanda RSSB", country="RWA", languages=["en", "fr"])
    india = make_institution(session, name="India Jal Shakti", country="IND", languages=["en", "hi"])
    feeding = make_offer(
        session, brazil, title="Alimentação escolar from family farms", sectors=["11220"],
        modalities=["study_tour"], cost_usd=40000,
    )  # fmt: skip
    insurance = make_offer(
        session, rwanda, title="Community health insurance", sectors=["12220"],
        modalities=["expert_visit"], languages=["fr"], cost_usd=35000,
    )  # fmt: skip
    water = make_offer(
        session, india, title="Paddy irrigation scheduling", sectors=["31140"],
        modalities=["study_tour", "video_conference"], cost_usd=None,
    )  # fmt: skip
    draft = make_offer(session, brazil, title="Draft on school books", sectors=["11220"], status="draft")
    return {"feeding": feeding.id, "insurance": insurance.id, "water": water.id, "draft": draft.id,
            "brazil": brazil.id}  # fmt: skip


def test_published_offers_are_listed_with_institution_country_and_cost(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    _catalogue(session)
    signed_in(client, caller("staff").key)
    page = client.get("/ui/offers")
    assert page.status_code == 200
    html = page.text
    assert set(_titles(html)) == {
        "Alimentação escolar from family farms",
        "Community health insurance",
        "Paddy irrigation scheduling",
    }
    assert "3 offers" in html and "FNDE Brazil" in html and "USD\xa040,000" in html
    assert 'aria-current="page">Offers</a>' in html


def test_search_ignores_accents_and_case(client: TestClient, caller: CallerFactory, session: Session) -> None:
    _catalogue(session)
    signed_in(client, caller("staff").key)
    assert _titles(client.get("/ui/offers?q=ALIMENTACAO").text) == ["Alimentação escolar from family farms"]
    assert _titles(client.get("/ui/offers?q=nothing+like+this").text) == []


def test_filters_by_sector_group_region_country_modality_language_status_and_institution(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    ids = _catalogue(session)
    signed_in(client, caller("staff").key)
    cases = {
        "sector=120": ["Community health insurance"],
        "region=002": ["Community health insurance"],  # Africa
        "country=IND": ["Paddy irrigation scheduling"],
        "region=002&country=IND": [],  # India is not in Africa
        "modality=study_tour": ["Alimentação escolar from family farms", "Paddy irrigation scheduling"],
        "language=fr": ["Community health insurance"],
        "status=draft": ["Draft on school books"],
        f"institution={ids['brazil']}&status=all": [
            "Alimentação escolar from family farms",
            "Draft on school books",
        ],
    }
    for query, expected in cases.items():
        assert sorted(_titles(client.get(f"/ui/offers?{query}").text)) == sorted(expected), query


def test_columns_sort_both_ways_with_a_visible_indicator_and_keep_the_filters(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    _catalogue(session)
    signed_in(client, caller("staff").key)
    by_title = client.get("/ui/offers?sort=title").text
    assert _titles(by_title) == [
        "Alimentação escolar from family farms",
        "Community health insurance",
        "Paddy irrigation scheduling",
    ]
    header = re.search(
        r'<th scope="col" aria-sort="ascending"><a class="sort" href="([^"]+)">'
        r'Offer <span aria-hidden="true">▲</span>',
        by_title,
    )
    assert header and "sort=-title" in unescape(header.group(1))
    assert _titles(client.get("/ui/offers?sort=-title").text)[0] == "Paddy irrigation scheduling"
    # cost, highest first, with the offer that names no cost last either way
    assert _titles(client.get("/ui/offers?sort=-cost").text)[-1] == "Paddy irrigation scheduling"
    assert _titles(client.get("/ui/offers?sort=cost").text) == [
        "Community health insurance",
        "Alimentação escolar from family farms",
        "Paddy irrigation scheduling",
    ]
    filtered = client.get("/ui/offers?modality=study_tour&sort=title").text
    links = [unescape(h) for h in re.findall(r'<a class="sort" href="([^"]+)"', filtered)]
    assert links and all("modality=study_tour" in link for link in links)
    assert 'aria-sort="none"' in filtered and "▼" not in filtered


def test_pages_of_the_list(
    client: TestClient, caller: CallerFactory, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _catalogue(session)
    monkeypatch.setattr(ui_workspace, "PAGE_SIZE", 2)
    signed_in(client, caller("staff").key)
    first = client.get("/ui/offers?sort=title").text
    assert len(_titles(first)) == 2 and "showing 1\u20132" in first
    nxt = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert nxt
    second = client.get(unescape(nxt.group(1))).text
    assert _titles(second) == ["Paddy irrigation scheduling"] and 'rel="prev"' in second


def test_bad_filters_and_sorts_are_refused_with_a_page(client: TestClient, caller: CallerFactory) -> None:
    signed_in(client, caller("staff").key)
    for query, message in {
        "sort=price": "cannot sort by",
        "region=999": "unknown region",
        "country=XXX": "unknown country",
        "modality=carrier_pigeon": "unknown modality",
        "language=zz": "unknown language",
        "status=lost": "unknown status",
        "sector=12220": "unknown sector group",
    }.items():
        response = client.get(f"/ui/offers?{query}")
        assert response.status_code == 422, query
        assert response.headers["content-type"].startswith("text/html") and message in response.text, query


def test_institution_keys_cannot_see_the_offers_list(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    response = client.get("/ui/offers", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/ui/sign-in")
