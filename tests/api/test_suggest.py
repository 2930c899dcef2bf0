"""POST /api/v1/suggest: codes suggested for a text that need not be stored."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from broker.services.suggestions import CONFIDENT
from tests.factories import CallerFactory, make_institution

BODY = {
    "title": "Antiretroviral treatment for people living with HIV",
    "description": "HIV/AIDS control: testing, prevention and treatment for people living with HIV.",
}


def test_suggestions_have_every_kind_with_confidences(client: TestClient, caller: CallerFactory) -> None:
    response = client.post("/api/v1/suggest", json=BODY, headers=caller("staff").headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "sectors",
        "sdgs",
        "sdg_targets",
        "modalities",
        "outcomes",
        "confident_at",
        "model_id",
    }
    assert body["model_id"] == "test-hashing-v1" and body["confident_at"] == CONFIDENT
    assert body["sectors"] and set(body["sectors"][0]) == {"code", "name", "confidence"}
    confidences = [s["confidence"] for s in body["sectors"]]
    assert confidences == sorted(confidences, reverse=True) and all(0 <= c <= 1 for c in confidences)


def test_an_institution_key_may_ask_before_any_request_exists(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    institution = make_institution(session, name="Ministry", country="MOZ", languages=["pt"])
    body = {**BODY, "language": "en"}
    response = client.post("/api/v1/suggest", json=body, headers=caller("institution", institution).headers)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "body",
    [
        {**BODY, "title": ""},
        {**BODY, "description": "   "},
        {**BODY, "description": "x" * 20_001},
        {**BODY, "title": "t" * 301},
        {"title": "Only a title"},
        {**BODY, "language": "klingon"},
        {**BODY, "sectors": ["13040"]},
    ],
    ids=[
        "empty title",
        "blank description",
        "long description",
        "long title",
        "missing",
        "language",
        "extra",
    ],
)
def test_bad_input_is_a_422(client: TestClient, caller: CallerFactory, body: dict[str, object]) -> None:
    response = client.post("/api/v1/suggest", json=body, headers=caller("broker").headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "validation_error"


def test_suggest_needs_a_key(client: TestClient) -> None:
    assert client.post("/api/v1/suggest", json=BODY).status_code == 401


@pytest.mark.model
def test_a_portuguese_school_feeding_text_gets_school_feeding(
    model_client: TestClient, caller: CallerFactory
) -> None:
    body = {
        "title": "Merenda escolar comprada da agricultura familiar",
        "description": "Queremos que as escolas rurais comprem dos agricultores familiares os alimentos "
        "servidos aos alunos todos os dias.",
    }
    response = model_client.post("/api/v1/suggest", json=body, headers=caller("staff").headers)
    assert response.status_code == 200, response.text
    assert "11250" in [s["code"] for s in response.json()["sectors"][:3]]
