"""End to end with the real all-MiniLM-L6-v2 model (still selectable), loaded offline from its package."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from broker.config import Settings
from tests.conftest import session_client
from tests.factories import CallerFactory, make_institution

pytestmark = pytest.mark.model


@pytest.fixture
def minilm_client(app_settings: Settings, session: Session) -> Iterator[TestClient]:
    update = {"encoder": "model", "embedding_model": "all-MiniLM-L6-v2"}
    with session_client(app_settings.model_copy(update=update), session) as client:
        yield client


def test_hiv_request_ranks_hiv_offer_above_irrigation(
    minilm_client: TestClient, session: Session, caller: CallerFactory
) -> None:
    supplier = make_institution(session, name="Supplier", country="BRA", languages=["pt", "en"])
    seeker = make_institution(session, name="Seeker", country="MOZ", languages=["pt"])
    headers = caller("broker").headers
    # the same sector and modality on both offers, so only the text can separate them
    common = {"institution_id": supplier.id, "sectors": ["12110"], "modalities": ["study_tour"]}
    offers = {
        "hiv": {
            "title": "Free antiretroviral therapy for people living with HIV",
            "description": "A national programme that tests for HIV and treats every patient with "
            "antiretroviral drugs, cutting AIDS deaths.",
        },
        "irrigation": {
            "title": "Drip irrigation for smallholder farmers",
            "description": "Farmers adopted drip irrigation and water user associations to "
            "save water and raise crop yields.",
        },
    }
    ids = {}
    for name, text in offers.items():
        response = minilm_client.post("/api/v1/offers", json={**common, **text}, headers=headers)
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    request = minilm_client.post(
        "/api/v1/requests",
        json={
            "institution_id": seeker.id,
            "sectors": ["12110"],
            "modalities": ["study_tour"],
            "title": "Treating HIV patients in rural districts",
            "description": "Many people with HIV/AIDS in our provinces never start treatment; "
            "we want to learn how to bring medicines and care to them.",
        },
        headers=headers,
    ).json()
    body = minilm_client.get(f"/api/v1/requests/{request['id']}/matches", headers=headers).json()
    assert body["model_id"] == "sentence-transformers/all-MiniLM-L6-v2"
    ranked = [item["offer_id"] for item in body["items"]]
    assert ranked.index(ids["hiv"]) < ranked.index(ids["irrigation"])
    semantic = {item["offer_id"]: item["components"]["semantic"] for item in body["items"]}
    assert semantic[ids["hiv"]] > semantic[ids["irrigation"]] + 0.2
