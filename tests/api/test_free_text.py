"""Demand as it arrives: a request needs no codes, its language is detected, its list says what fits."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import CallerFactory, make_institution, make_offer

SPANISH = {
    "title": "Seguro de salud para trabajadores informales",
    "description": "La mitad de los trabajadores no cotiza a ningún seguro y cuando se enferman pagan de su "
    "bolsillo. Queremos aprender cómo otros países afiliaron a los trabajadores informales.",
}


def test_a_request_needs_only_an_institution_a_title_and_a_description(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    inst = make_institution(session, name="Ministerio de Salud", country="PER", languages=["es"])
    response = client.post(
        "/api/v1/requests", json={"institution_id": inst.id, **SPANISH}, headers=caller("broker").headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["sectors"] == [] and body["modalities"] == [] and body["sdgs"] == []
    assert body["text_language"] == "es" and body["text_language_detected"] is True
    assert set(body["suggested"]) >= {"sectors", "sdgs", "modalities", "outcomes", "model_id"}
    for entry in body["suggested"]["sectors"]:
        assert 0 <= entry["confidence"] <= 1 and entry["confident"] == (entry["confidence"] >= 0.5)


def test_the_authors_text_language_is_kept_and_null_returns_to_detection(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    inst = make_institution(session, name="Ministério", country="MOZ", languages=["pt"])
    headers = caller("broker").headers
    body = {"institution_id": inst.id, **SPANISH, "text_language": "pt"}  # the author's word, even if odd
    created = client.post("/api/v1/requests", json=body, headers=headers).json()
    assert created["text_language"] == "pt" and created["text_language_detected"] is False
    patched = client.patch(
        f"/api/v1/requests/{created['id']}",
        json={"version": created["version"], "text_language": None},
        headers=headers,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["text_language"] == "es" and patched.json()["text_language_detected"] is True
    assert patched.json()["version"] == created["version"] + 1  # one write, one version


def test_an_unknown_text_language_is_refused_and_nothing_is_stored(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    inst = make_institution(session)
    headers = caller("broker").headers
    response = client.post(
        "/api/v1/requests",
        json={"institution_id": inst.id, **SPANISH, "text_language": "xx"},
        headers=headers,
    )
    assert response.status_code == 422
    assert client.get("/api/v1/requests", headers=headers).json()["total"] == 0


def test_ranked_items_carry_fit_and_relevance_and_the_list_a_verdict(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    make_offer(session, title="Health insurance for informal workers", description=SPANISH["description"])
    inst = make_institution(session, name="Ministerio de Salud", country="PER", languages=["es"])
    headers = caller("broker").headers
    created = client.post(
        "/api/v1/requests", json={"institution_id": inst.id, **SPANISH}, headers=headers
    ).json()
    body = client.get(f"/api/v1/requests/{created['id']}/matches", headers=headers).json()
    assert body["items"] and isinstance(body["good_match"], bool) and body["summary"]
    for item in body["items"]:
        assert item["fit"] in ("strong", "possible", "weak") and 0 <= item["relevance"] <= 1
        assert abs(sum(item["contributions"].values()) - item["score"]) < 1e-9
    assert body["good_match"] == any(i["fit"] in ("strong", "possible") for i in body["items"])


def test_an_offer_without_codes_or_modalities_is_accepted(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    inst = make_institution(session, name="Hub", country="BRA", languages=["pt"])
    response = client.post(
        "/api/v1/offers",
        json={"institution_id": inst.id, "title": "Bolsa Família", "description": SPANISH["description"]},
        headers=caller("broker").headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["modalities"] == [] and response.json()["sectors"] == []
