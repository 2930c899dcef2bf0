"""Single sign-on against a real (local) OpenID Connect provider over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.config import Settings
from broker.models import AuditEvent, User
from broker.services import oidc, users
from tests.conftest import session_client
from tests.factories import make_institution, make_user
from tests.ui.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider

BASE = "http://testserver"


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    with running_provider(BASE + oidc.CALLBACK_PATH) as running:
        yield running


def sso_settings(app_settings: Settings, provider: Provider, **extra: object) -> Settings:
    return app_settings.model_copy(
        update={
            "public_base_url": BASE,
            "oidc_discovery_url": provider.discovery_url,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": SecretStr(CLIENT_SECRET),
            "oidc_provider_name": "Agency ID",
            **extra,
        }
    )


@pytest.fixture
def sso(app_settings: Settings, session: Session, provider: Provider) -> Iterator[TestClient]:
    provider.reset()
    with session_client(sso_settings(app_settings, provider), session) as test_client:
        yield test_client


def go_to_provider(client: TestClient, *, next: str = "/ui/gaps") -> str:
    """Follow the sign-in button to the provider and back; returns the callback's path and query."""
    start = client.get(f"/ui/sign-in/oidc?next={next}", follow_redirects=False)
    assert start.status_code == 303, start.text
    authorize = start.headers["location"]
    assert authorize.startswith(f"{urlsplit(authorize).scheme}://127.0.0.1:")
    back = httpx.get(authorize, follow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text
    parts = urlsplit(back.headers["location"])
    assert f"{parts.scheme}://{parts.netloc}" == BASE and parts.path == oidc.CALLBACK_PATH
    return urlunsplit(("", "", parts.path, parts.query, ""))


def test_sign_in_page_offers_single_sign_on_when_configured(sso: TestClient, client: TestClient) -> None:
    assert "Sign in with Agency ID" in sso.get("/ui/sign-in").text
    assert "/ui/sign-in/oidc" not in client.get("/ui/sign-in").text
    assert client.get("/ui/sign-in/oidc").status_code == 404


def test_invited_user_signs_in_through_the_provider(
    sso: TestClient, session: Session, provider: Provider
) -> None:
    user = make_user(session, "broker", email="lena@agency.example.org", password=None)
    provider.reset(email="Lena@Agency.example.org", name="Lena")
    callback = go_to_provider(sso)
    done = sso.get(callback)
    assert done.status_code == 200 and 'content="0;url=/ui/gaps"' in done.text
    me = sso.get("/api/v1/me").json()
    assert (me["user_id"], me["role"]) == (user.id, "broker")
    assert sso.get("/ui/gaps").status_code == 200
    event = session.scalars(select(AuditEvent).where(AuditEvent.event == "sign_in")).one()
    assert event.detail == {"method": "oidc", "user_id": user.id}


def test_a_different_state_is_refused(sso: TestClient, session: Session, provider: Provider) -> None:
    make_user(session, email="lena@agency.example.org")
    provider.reset(email="lena@agency.example.org")
    callback = go_to_provider(sso)
    query = parse_qs(urlsplit(callback).query)
    forged = sso.get(f"{oidc.CALLBACK_PATH}?code={query['code'][0]}&state=someone-elses-state")
    assert forged.status_code == 401 and "does not belong to a sign-in started here" in forged.text
    assert sso.get("/api/v1/me").status_code == 401


def test_a_callback_without_the_browsers_flow_cookie_is_refused(
    app_settings: Settings, session: Session, provider: Provider, sso: TestClient
) -> None:
    """Login CSRF: someone else's callback link opened in the victim's browser."""
    make_user(session, email="lena@agency.example.org")
    provider.reset(email="lena@agency.example.org")
    callback = go_to_provider(sso)
    with session_client(sso_settings(app_settings, provider), session) as victim:
        refused = victim.get(callback)
        assert refused.status_code == 401 and victim.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("tamper", ["nonce_override", "issuer_override", "audience_override"])
def test_an_id_token_with_the_wrong_nonce_issuer_or_audience_is_refused(
    sso: TestClient, session: Session, provider: Provider, tamper: str
) -> None:
    make_user(session, email="lena@agency.example.org")
    provider.reset(email="lena@agency.example.org")
    setattr(provider, tamper, "https://elsewhere.example" if tamper == "issuer_override" else "not-ours")
    refused = sso.get(go_to_provider(sso))
    assert refused.status_code == 401 and users.SIGN_IN_REFUSED not in refused.text
    assert "single sign-on did not succeed" in refused.text
    assert sso.get("/api/v1/me").status_code == 401


def test_an_unverified_email_or_a_disabled_account_is_refused(
    sso: TestClient, session: Session, provider: Provider
) -> None:
    user = make_user(session, email="lena@agency.example.org")
    provider.reset(email="lena@agency.example.org", email_verified=False)
    assert "did not confirm an email" in sso.get(go_to_provider(sso)).text
    user.disabled_at = user.created_at
    session.flush()
    provider.reset(email="lena@agency.example.org")
    refused = sso.get(go_to_provider(sso))
    assert refused.status_code == 401 and sso.get("/api/v1/me").status_code == 401


def test_no_self_registration_without_a_rule_for_the_domain(
    sso: TestClient, session: Session, provider: Provider
) -> None:
    provider.reset(email="stranger@agency.example.org")
    refused = sso.get(go_to_provider(sso))
    assert refused.status_code == 401 and "ask an administrator for an invitation" in refused.text
    assert users.find_by_email(session, email="stranger@agency.example.org") is None


def test_a_signup_rule_creates_an_account_with_its_role_and_institution(
    app_settings: Settings, session: Session, provider: Provider
) -> None:
    ministry = make_institution(session)
    rules = f"agency.example.org=staff,health.go.ke=institution:{ministry.id}"
    with session_client(sso_settings(app_settings, provider, oidc_signup_domains=rules), session) as client:
        provider.reset(email="new@health.go.ke", name="New Person")
        assert client.get(go_to_provider(client)).status_code == 200
        me = client.get("/api/v1/me").json()
    created = session.scalars(select(User).where(User.email == "new@health.go.ke")).one()
    assert (me["role"], me["institution_id"], created.display_name) == (
        "institution",
        ministry.id,
        "New Person",
    )


def test_signup_rules_are_read_strictly() -> None:
    assert oidc.signup_rules("a.org=staff, b.org=institution:4") == {
        "a.org": (users.Role.staff, None),
        "b.org": (users.Role.institution, 4),
    }
    for bad in ("a.org=chief", "a.org=institution", "a.org=staff:3", "=staff"):
        with pytest.raises(users.InvalidInput):
            oidc.signup_rules(bad)
