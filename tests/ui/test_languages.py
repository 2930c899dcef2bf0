"""The workspace in English, Spanish, French and Portuguese: the switch, the cookie, Accept-Language."""

from __future__ import annotations

from fastapi.testclient import TestClient
from jinja2 import pass_context

from broker.ui.rendering import templates
from tests.factories import CallerFactory
from tests.ui.conftest import signed_in

NBSP = "\xa0"


def test_accept_language_chooses_the_page_language(client: TestClient, caller: CallerFactory) -> None:
    signed_in(client, caller("staff").key)
    page = client.get("/ui/requests", headers={"Accept-Language": "fr-CA, en;q=0.5"})
    assert page.status_code == 200
    assert page.headers["content-language"] == "fr" and "Accept-Language" in page.headers["vary"]
    html = page.text
    assert '<html lang="fr">' in html and "<h1>Demandes</h1>" in html and "Se déconnecter" in html
    english = client.get("/ui/requests").text
    assert '<html lang="en">' in english and "<h1>Requests</h1>" in english


def test_the_switch_sets_a_cookie_that_wins_over_accept_language(
    client: TestClient, caller: CallerFactory
) -> None:
    signed_in(client, caller("staff").key)
    page = client.get("/ui/requests", headers={"Accept-Language": "fr"}).text
    for code, name in (("en", "English"), ("es", "Español"), ("fr", "Français"), ("pt", "Português")):
        assert f'href="/ui/language/{code}?next=/ui/requests"' in page and name in page
    switched = client.get("/ui/language/es?next=%2Fui%2Frequests", follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/ui/requests"
    assert "lang=es" in switched.headers["set-cookie"]
    page = client.get("/ui/requests", headers={"Accept-Language": "fr"})
    assert page.headers["content-language"] == "es" and "<h1>Solicitudes</h1>" in page.text


def test_the_switch_only_returns_to_workspace_pages_and_knows_its_languages(client: TestClient) -> None:
    away = client.get("/ui/language/pt?next=https%3A%2F%2Fevil.example%2F", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == "/ui/requests"
    unknown = client.get("/ui/language/de", headers={"Accept-Language": "pt"})
    assert unknown.status_code == 404 and "Não encontrado" in unknown.text


def test_sign_in_page_is_translated_before_anyone_signs_in(client: TestClient) -> None:
    page = client.get("/ui/sign-in", headers={"Accept-Language": "pt-BR"})
    assert page.status_code == 200 and page.headers["content-language"] == "pt"
    assert "<h1>Entrar</h1>" in page.text and "Chave de API" in page.text


def test_staff_see_ranked_matches_with_reasons_in_french(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    signed_in(client, caller("staff").key)
    assert client.get("/ui/language/fr").status_code == 200  # follows back to the requests list
    html = client.get(f"/ui/requests/{catalogue['request']}").text
    assert "Offres classées" in html and "HIV treatment scale-up" in html
    assert "Même secteur : STD control including HIV/AIDS" in html  # a reason, from its code
    assert "Langue de travail commune : anglais" in html or "Langues de travail communes" in html
    assert f"pour un budget de 50{chr(0x202F)}000{NBSP}USD" in html
    assert "<caption>Coût estimé en " in html and '<th scope="row">Déplacements</th>' in html
    assert '<th scope="row">sémantique</th>' in html  # the factor table comes from an imported macro
    assert "Présélectionner" in html and "Aucune décision pour l’instant." in html
    assert "Same sector" not in html and "Estimated cost" not in html


def test_a_request_without_a_good_match_says_so_in_spanish(
    client: TestClient, caller: CallerFactory, catalogue: dict[str, int]
) -> None:
    signed_in(client, caller("staff").key)
    html = client.get(f"/ui/requests/{catalogue['lonely']}", headers={"Accept-Language": "es"}).text
    assert '<p class="notice unmet">Ninguna buena coincidencia: ' in html


def test_an_identity_fallback_installed_by_other_code_keeps_the_real_translations(
    client: TestClient,
) -> None:
    @pass_context
    def identity(_: object, message: str, **values: object) -> str:
        return message % values if values else message

    templates.env.globals.setdefault("_", identity)
    page = client.get("/ui/sign-in", headers={"Accept-Language": "es"})
    assert "Iniciar sesión" in page.text
