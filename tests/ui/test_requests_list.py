"""The requests list: match counts, best scores, the unmet-demand flag, filters and search."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories import CallerFactory
from tests.ui.conftest import signed_in


def _rows(html: str) -> dict[str, str]:
    """Each listed request's title and the text of its row."""
    rows = re.findall(
        r"<tr( class=\"unmet\")?>\s*<td><a href=\"/ui/requests/\d+\">([^<]+)</a>(.*?)</tr>", html, re.S
    )
    return {title: flag + rest for flag, title, rest in rows}


def test_open_requests_with_counts_best_score_and_unmet_flag(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    signed_in(client, caller("staff").key)
    before = _rows(client.get("/ui/requests").text)
    assert set(before) == {"HIV treatment for rural patients", "Regulating artisanal gold mining"}
    assert all("no match yet" in row for row in before.values())  # never ranked counts as unmet
    client.get(f"/ui/requests/{catalogue['request']}")
    client.get(f"/ui/requests/{catalogue['lonely']}")
    after = _rows(client.get("/ui/requests").text)
    hiv = after["HIV treatment for rural patients"]
    assert '<td class="num">2</td>' in hiv and "unmet" not in hiv
    best = float(re.findall(r'<td class="num">([0-9.]+)</td>', hiv)[-1])
    assert best >= 0.5
    assert "no good match" in after["Regulating artisanal gold mining"]


def test_filters_by_status_region_sector_and_search(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    signed_in(client, caller("staff").key)

    def titles(query: str) -> set[str]:
        response = client.get(f"/ui/requests?{query}")
        assert response.status_code == 200, response.text
        return set(_rows(response.text))

    hiv, gold, nets = (
        "HIV treatment for rural patients",
        "Regulating artisanal gold mining",
        "Closed request on malaria nets",
    )
    assert titles("status=closed") == {nets}
    assert titles("status=all") == {hiv, gold, nets}
    assert titles("region=002") == {hiv}  # Africa
    assert titles("region=419") == {gold}  # Latin America and the Caribbean
    assert titles("region=002&status=all") == {hiv, nets}
    assert titles("sector=320") == {gold}  # Industry, Mining, Construction
    assert titles("sector=120&status=all") == {nets}  # Health (13040 belongs to population policies)
    assert titles("q=gold+mercury") == {gold}
    assert titles("q=nothing-like-this") == set()
    assert titles("unmet=1") == {hiv, gold}
    client.get(f"/ui/requests/{catalogue['request']}")
    assert titles("unmet=1") == {gold}


def test_filters_keep_their_values_and_reject_unknown_codes(
    client: TestClient, caller: CallerFactory
) -> None:
    signed_in(client, caller("staff").key)
    html = client.get("/ui/requests?region=002&sector=120&q=rural&unmet=1").text
    assert '<option value="002" selected>' in html and '<option value="120" selected>' in html
    assert 'value="rural"' in html and 'id="unmet" name="unmet" type="checkbox" value="1" checked' in html
    for query in ("region=999", "sector=12220", "status=pending"):
        response = client.get(f"/ui/requests?{query}")
        assert response.status_code == 422 and "unknown" in response.text, query
