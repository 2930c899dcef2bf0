"""The gap view: demand, supply and unmet demand by sector group x M49 region, on a hand-built catalogue."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.models import KnowledgeRequest, Match, Offer
from broker.services import gaps
from tests.factories import CallerFactory, make_institution, make_offer, make_request
from tests.ui.conftest import signed_in

HEALTH, EDUCATION = "120", "110"
AFRICA, AMERICAS, ASIA = "002", "019", "142"


def _match(
    session: Session, request: KnowledgeRequest, offer: Offer, score: float, rank: int | None, fit: str
) -> None:
    match = Match(
        request_id=request.id, offer_id=offer.id, profile="default", score=score, rank=rank, fit=fit
    )
    session.add(match)
    session.flush()


def _catalogue(session: Session) -> None:
    kenya = make_institution(session, name="Kenya", country="KEN")
    brazil = make_institution(session, name="Brazil", country="BRA")
    india = make_institution(session, name="India", country="IND")
    health_br = make_offer(session, brazil, sectors=["12220"])
    make_offer(session, brazil, sectors=["11220"])  # education, Americas
    make_offer(session, india, sectors=["12220"])  # health, Asia
    make_offer(session, kenya, sectors=["12220"], status="draft")  # not supply
    archived = make_offer(session, brazil, sectors=["12220"], status="archived")
    met = make_request(session, kenya, sectors=["12220"])
    weak = make_request(session, kenya, sectors=["12220", "11220"])  # health and education
    make_request(session, brazil, sectors=["11220"])  # never ranked
    stale = make_request(session, india, sectors=["12220"])  # its only good match is an archived offer
    dropped = make_request(session, kenya, sectors=["12220"])  # its good match fell out of the list
    make_request(session, kenya, sectors=["12220"], status="closed")  # not demand
    _match(session, met, health_br, 0.8, rank=1, fit="strong")
    _match(session, weak, health_br, 0.3, rank=1, fit="weak")
    _match(session, stale, archived, 0.9, rank=1, fit="strong")
    _match(session, dropped, health_br, 0.7, rank=None, fit="possible")


def _cell(m: gaps.GapMap, group: str, region: str) -> tuple[int, int, int]:
    row = next(r for r in m.rows if r.code == group)
    cell = row.cells[region]
    return cell.demand, cell.supply, cell.unmet


def test_gap_map_counts_demand_supply_and_unmet_per_group_and_region(session: Session) -> None:
    _catalogue(session)
    m = gaps.gap_map(session)
    assert [c.code for c in m.columns] == [AFRICA, "009", AMERICAS, ASIA, "150"]
    assert [r.code for r in m.rows] == [EDUCATION, HEALTH]
    assert _cell(m, HEALTH, AFRICA) == (3, 0, 2)  # met, weak, dropped; weak and dropped unmet
    assert _cell(m, HEALTH, AMERICAS) == (0, 1, 0)
    assert _cell(m, HEALTH, ASIA) == (1, 1, 1)  # stale: archived offers do not count
    assert _cell(m, EDUCATION, AFRICA) == (1, 0, 1)  # weak counts in both of its groups
    assert _cell(m, EDUCATION, AMERICAS) == (1, 1, 1)  # never ranked counts as unmet
    health = next(r for r in m.rows if r.code == HEALTH)
    assert (health.total.demand, health.total.supply, health.total.unmet) == (4, 2, 3)
    africa = m.totals[AFRICA]
    assert (africa.demand, africa.supply, africa.unmet) == (3, 0, 2)  # weak counted once
    assert (m.total.demand, m.total.supply, m.total.unmet) == (5, 3, 4)
    assert m.never_ranked == 1
    assert health.cells[AFRICA].heat == gaps.HEAT_LEVELS and health.cells[ASIA].heat == 2
    assert health.cells[AMERICAS].heat == 0


def test_a_possible_fit_meets_demand_and_a_weak_one_does_not_whatever_the_score(session: Session) -> None:
    kenya = make_institution(session, name="Kenya", country="KEN")
    brazil = make_institution(session, name="Brazil", country="BRA")
    offer = make_offer(session, brazil, sectors=["12220"])
    possible = make_request(session, kenya, sectors=["12220"])
    weak_but_high = make_request(session, kenya, sectors=["12220"])
    _match(session, possible, offer, 0.58, rank=1, fit="possible")
    _match(session, weak_but_high, offer, 0.9, rank=1, fit="weak")
    assert _cell(gaps.gap_map(session), HEALTH, AFRICA) == (2, 0, 1)


def test_a_request_without_codes_sits_in_the_group_of_its_confident_suggestions(session: Session) -> None:
    kenya = make_institution(session, name="Kenya", country="KEN")
    suggested = {
        "sectors": [
            {"code": "11220", "name": "Primary education", "confidence": 0.8, "confident": True},
            {"code": "12220", "name": "Basic health care", "confidence": 0.2, "confident": False},
        ]
    }
    make_request(session, kenya, sectors=[], suggested=suggested)
    m = gaps.gap_map(session)
    assert [r.code for r in m.rows] == [EDUCATION] and _cell(m, EDUCATION, AFRICA) == (1, 0, 1)


def test_empty_catalogue_has_an_empty_map(session: Session) -> None:
    m = gaps.gap_map(session)
    assert m.rows == [] and m.total.demand == m.total.supply == m.total.unmet == 0


def test_gap_page_shows_the_numbers(client: TestClient, caller: CallerFactory, session: Session) -> None:
    _catalogue(session)
    signed_in(client, caller("staff").key)
    html = client.get("/ui/gaps").text
    health = re.search(r'<th scope="row">Health</th>(.*?)</tr>', html, re.S)
    assert health
    cells = re.findall(r"<td class=\"([\w-]+)\">(.*?)</td>", health.group(1), re.S)
    africa = cells[0]
    assert africa[0] == "heat-4" and "3 req" in africa[1] and "0 off" in africa[1] and "2 unmet" in africa[1]
    assert "4 req" in cells[-1][1] and "3 unmet" in cells[-1][1]  # the row total
    assert "1 open request has never been ranked" in html


def test_ranking_the_unranked_from_the_gap_page(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    csrf = signed_in(client, caller("staff").key)
    assert "2 open requests have never been ranked" in client.get("/ui/gaps").text
    refused = client.post("/ui/gaps/rank", data={}, follow_redirects=False)
    assert refused.status_code == 403
    done = client.post("/ui/gaps/rank", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/ui/gaps?ranked=2"
    html = client.get(done.headers["location"]).text
    assert "Ranked 2 requests." in html and "never been ranked" not in html


def test_brokers_see_the_gaps_but_cannot_rank_from_them(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int], session: Session
) -> None:
    csrf = signed_in(client, caller("broker").key)
    html = client.get("/ui/gaps").text
    assert "2 open requests have never been ranked" in html and 'action="/ui/gaps/rank"' not in html
    refused = client.post("/ui/gaps/rank", data={"csrf_token": csrf}, follow_redirects=False)
    assert refused.status_code == 403
    assert session.scalar(select(func.count()).select_from(Match)) == 0


def _listed(client: TestClient, href: str) -> int:
    found = re.search(r'<p class="summary" role="status">(\d+) (?:request|offer)', client.get(href).text)
    assert found, href
    return int(found.group(1))


def test_every_gap_count_links_to_a_list_of_exactly_that_many_records(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    _catalogue(session)
    kenya = make_institution(session, name="Kenya suggestions", country="KEN")
    suggested = {
        "sectors": [{"code": "11220", "name": "Primary education", "confidence": 0.8, "confident": True}]
    }
    make_request(session, kenya, sectors=[], suggested=suggested)  # counted by its confident suggestion
    signed_in(client, caller("staff").key)
    html = client.get("/ui/gaps").text
    links = re.findall(
        r'<a href="(/ui/(?:requests|offers)\?[^"]+)"[^>]*>(?:<strong>)?(\d+) (req|off|unmet)', html
    )
    assert (
        len(links) >= 3 * 6
    )  # three links in each counted cell, row total, column total and the grand total
    hrefs = {unescape(h) for h, _, _ in links}
    assert f"/ui/requests?sector={EDUCATION}&region={AFRICA}" in hrefs
    assert f"/ui/offers?sector={HEALTH}&region={ASIA}" in hrefs
    assert f"/ui/requests?sector={HEALTH}&region={AFRICA}&unmet=1" in hrefs
    for href, count, _ in links:
        assert _listed(client, unescape(href)) == int(count), unescape(href)
