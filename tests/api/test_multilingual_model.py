"""End to end with the real (default, multilingual) model: requests in Portuguese, French and Spanish,
written without any code, against offers written in English; and the supply side's view."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import CallerFactory, make_institution

pytestmark = pytest.mark.model

OFFERS = {
    "hiv": {
        "title": "Free antiretroviral therapy for people living with HIV",
        "description": "A national programme that tests for HIV and treats every patient with antiretroviral "
        "drugs through public clinics, cutting AIDS deaths and mother-to-child transmission.",
        "sectors": ["13040"],
    },
    "irrigation": {
        "title": "Drip irrigation for smallholder farmers",
        "description": "Farmers in dry areas adopted drip irrigation kits and water user associations to "
        "save water and raise crop yields; extension agents trained thousands of households.",
        "sectors": ["31140"],
    },
    "meals": {
        "title": "School meals bought from family farmers",
        "description": "A national law makes schools buy part of their food from local family farms, so "
        "pupils eat a daily hot meal and farmers gain a steady market.",
        "sectors": ["11220"],
    },
}


@pytest.fixture
def catalogue(model_client: TestClient, session: Session, caller: CallerFactory) -> dict[str, Any]:
    supplier = make_institution(session, name="Supplier", country="BRA", languages=["en"])
    headers = caller("broker").headers
    ids = {}
    for name, text in OFFERS.items():
        body = {**text, "institution_id": supplier.id, "modalities": ["study_tour", "expert_visit"]}
        response = model_client.post("/api/v1/offers", json=body, headers=headers)
        assert response.status_code == 201, response.text
        assert response.json()["text_language"] == "en" and response.json()["text_language_detected"]
        ids[name] = response.json()["id"]
    return {"ids": ids, "headers": headers}


def _post_request(
    client: TestClient, session: Session, headers: dict[str, str], *, country: str, language: str, **text: str
) -> dict[str, Any]:
    seeker = make_institution(session, name=f"Seeker {country}", country=country, languages=[language])
    response = client.post("/api/v1/requests", json={"institution_id": seeker.id, **text}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.parametrize(
    ("country", "language", "title", "description", "expected"),
    [
        (
            "MOZ",
            "pt",
            "Água para as machambas na época seca",
            "Os pequenos agricultores do distrito perdem as colheitas quando a chuva falha e a água do rio "
            "não chega às parcelas. Queremos aprender a regar com pouca água e organizar os camponeses.",
            "irrigation",
        ),
        (
            "SEN",
            "fr",
            "Les malades du sida qui ne commencent jamais leur traitement",
            "Dans nos régions, beaucoup de personnes séropositives ne reçoivent pas de médicaments et les "
            "décès restent nombreux. Nous voulons apprendre à dépister et à traiter tout le monde.",
            "hiv",
        ),
    ],
)
def test_a_request_without_codes_in_another_language_finds_the_english_offer_on_its_topic(
    model_client: TestClient,
    session: Session,
    catalogue: dict[str, Any],
    country: str,
    language: str,
    title: str,
    description: str,
    expected: str,
) -> None:
    headers = catalogue["headers"]
    request = _post_request(
        model_client,
        session,
        headers,
        country=country,
        language=language,
        title=title,
        description=description,
    )
    assert request["sectors"] == [] and request["text_language"] == language
    assert request["text_language_detected"] is True
    assert request["suggested"]["sectors"], "free text gets suggested sectors"
    body = model_client.get(f"/api/v1/requests/{request['id']}/matches", headers=headers).json()
    assert body["items"][0]["offer_id"] == catalogue["ids"][expected]
    assert body["items"][0]["fit"] in ("strong", "possible")
    assert body["good_match"] is True
    # the supply side sees this demand too
    offer_id = catalogue["ids"][expected]
    demand = model_client.get(f"/api/v1/offers/{offer_id}/matches", headers=headers).json()
    assert request["id"] in [item["request_id"] for item in demand["items"]]


def test_an_off_topic_request_is_told_that_nothing_fits(
    model_client: TestClient, session: Session, catalogue: dict[str, Any]
) -> None:
    headers = catalogue["headers"]
    request = _post_request(
        model_client,
        session,
        headers,
        country="BRA",  # the offers' own country, language and a modest budget: all favourable
        language="es",
        title="Entrenar a los primeros astronautas para aterrizar en Marte",
        description="Buscamos un socio que nos enseñe a seleccionar y entrenar astronautas para una "
        "misión tripulada a Marte y a diseñar el módulo de aterrizaje.",
    )
    body = model_client.get(f"/api/v1/requests/{request['id']}/matches", headers=headers).json()
    assert body["items"], "candidates are still listed, with their reasons"
    assert {item["fit"] for item in body["items"]} == {"weak"}
    assert body["good_match"] is False and body["summary"].startswith("No good match")
