"""The request page lists the funding windows that could finance its best offers, with reasons in
the page's language, and only when a window may."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import CallerFactory, make_funding_window, make_institution, make_offer, make_request
from tests.ui.conftest import signed_in


def test_the_request_page_shows_windows_that_may_finance_its_offers(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    moz = make_institution(session, name="Mozambique MISAU", country="MOZ", languages=["pt"])
    request = make_request(session, moz, languages=["pt"], timeframe_start=date(2027, 3, 1))
    make_offer(session, make_institution(session, name="Brazil hub", country="BRA", languages=["pt"]))
    fund = make_institution(session, name="Triangular fund", country="JPN", kind="multilateral")
    signed_in(client, caller("staff").key)
    asia = make_funding_window(session, fund, title="Asia only", receiving_regions=["142"])
    page = client.get(f"/ui/requests/{request.id}")
    assert page.status_code == 200 and 'id="triangles"' not in page.text  # no window may finance it
    make_funding_window(
        session, fund, title="Lusophone Africa", receiving_countries=["MOZ"], receiving_regions=[]
    )
    page = client.get(f"/ui/requests/{request.id}", headers={"Accept-Language": "fr"})
    assert 'id="triangles"' in page.text and "Lusophone Africa" in page.text and asia.title not in page.text
    assert "Le guichet couvre le Mozambique" in page.text or "Le guichet couvre Mozambique" in page.text
