"""Ranked matches in the caller's language: reasons follow Accept-Language, codes stay the same."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.models import KnowledgeRequest, Match
from tests.factories import CallerFactory, make_hiv_catalogue


def _matches(
    client: TestClient, request_id: int, headers: dict[str, str], language: str | None
) -> tuple[dict, str]:
    sent = headers | ({"Accept-Language": language} if language else {})
    response = client.get(f"/api/v1/requests/{request_id}/matches", headers=sent)
    assert response.status_code == 200, response.text
    return response.json(), response.headers["content-language"]


def test_reasons_follow_accept_language_and_their_codes_do_not(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    request_id = make_hiv_catalogue(session)["request"].id
    headers = caller("staff").headers
    english, english_language = _matches(client, request_id, headers, None)
    french, french_language = _matches(client, request_id, headers, "fr-FR,fr;q=0.9,en;q=0.5")
    assert (english_language, french_language) == ("en", "fr")
    top_en, top_fr = english["items"][0], french["items"][0]
    assert "Same sector: STD control including HIV/AIDS" in top_en["reasons"]
    assert "Même secteur : STD control including HIV/AIDS" in top_fr["reasons"]
    assert [d["code"] for d in top_en["reasons_detail"]] == [d["code"] for d in top_fr["reasons_detail"]]
    assert [d["params"] for d in top_en["reasons_detail"]] == [d["params"] for d in top_fr["reasons_detail"]]
    assert [d["text"] for d in top_fr["reasons_detail"]] == top_fr["reasons"]
    codes = [d["code"] for d in top_en["reasons_detail"]]
    assert codes[0].startswith("semantic.") and "sector.same_code" in codes
    assert any(c.startswith("cost.") for c in codes) and any(c.startswith("language.") for c in codes)
    spanish, language = _matches(client, request_id, headers, "de, es;q=0.8")
    assert (
        language == "es" and "Mismo sector: STD control including HIV/AIDS" in spanish["items"][0]["reasons"]
    )
    unsupported, language = _matches(client, request_id, headers, "ja")
    assert language == "en" and unsupported["items"][0]["reasons"] == top_en["reasons"]


def test_a_stored_match_renders_in_another_locale_and_old_rows_keep_their_sentences(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    request = make_hiv_catalogue(session)["request"]
    headers = caller("staff").headers
    ranked, _ = _matches(client, request.id, headers, None)
    stored = session.scalars(select(Match).where(Match.request_id == request.id).order_by(Match.rank)).all()
    assert stored and stored[0].reasons == ranked["items"][0]["reasons"]  # English sentences, as computed
    assert [d["code"] for d in stored[0].reasons_detail or []] == [
        d["code"] for d in ranked["items"][0]["reasons_detail"]
    ]
    session.get_one(KnowledgeRequest, request.id).status = "closed"  # shows stored matches from now on
    stored[-1].reasons_detail = None  # a row stored before reasons had codes
    session.flush()
    portuguese, language = _matches(client, request.id, headers, "pt-BR")
    assert language == "pt" and portuguese["recomputed"] is False
    first, last = portuguese["items"][0], portuguese["items"][-1]
    assert "Mesmo setor: STD control including HIV/AIDS" in first["reasons"]
    assert [d["code"] for d in first["reasons_detail"]] == [
        d["code"] for d in ranked["items"][0]["reasons_detail"]
    ]
    assert last["reasons"] == stored[-1].reasons and {d["code"] for d in last["reasons_detail"]} == {"text"}
