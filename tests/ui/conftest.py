"""Signing a TestClient in to the staff pages, and a small catalogue to review."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import make_hiv_catalogue, make_institution, make_request

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, key: str, *, next: str = "/ui/requests") -> httpx.Response:
    """Open the sign-in page (for its double-submit token) and post the key, as a browser would."""
    page = client.get("/ui/sign-in")
    form = {"api_key": key, "csrf_token": csrf_of(page.text), "next": next}
    return client.post("/ui/sign-in", data=form, follow_redirects=False)


def signed_in(client: TestClient, key: str) -> str:
    """Sign in and return the session's CSRF token (from a page's forms)."""
    assert sign_in(client, key).status_code == 303
    return csrf_of(client.get("/ui/requests").text)


@pytest.fixture
def catalogue(session: Session) -> dict[str, int]:
    """Kenya asks for HIV treatment (Brazil offers it); Peru asks for something nobody offers."""
    base = make_hiv_catalogue(session)
    kenya, hiv, irrigation, request = base["kenya"], base["hiv"], base["irrigation"], base["request"]
    peru = make_institution(session, name="Peru mining", country="PER", languages=["es"])
    lonely = make_request(
        session,
        peru,
        title="Regulating artisanal gold mining",
        description="Mercury pollution from informal gold mines in the Amazon.",
        sectors=["32210"],
        modalities=["peer_review"],
        budget_usd=2000,
    )
    closed = make_request(
        session,
        kenya,
        title="Closed request on malaria nets",
        description="Bed net distribution, already solved.",
        sectors=["12250"],
        status="closed",
    )
    return {
        "hiv": hiv.id,
        "irrigation": irrigation.id,
        "request": request.id,
        "lonely": lonely.id,
        "closed": closed.id,
    }
