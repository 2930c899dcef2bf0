"""Signing in to the staff pages: key for cookie, CSRF on the form, and every way a session ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.models import ApiKey, UiSession
from broker.services import keys
from tests.factories import CallerFactory, make_institution
from tests.ui.conftest import csrf_of, sign_in, signed_in


def _cookie_flags(header: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def _session_cookie(response: object) -> str:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return next(h for h in headers if h.startswith("kb_ui_session="))


def test_unsigned_visitor_is_sent_to_sign_in_and_back(client: TestClient, caller: CallerFactory) -> None:
    first = client.get("/ui/requests?status=open", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/ui/sign-in?next=%2Fui%2Frequests%3Fstatus%3Dopen"
    page = client.get(first.headers["location"])
    assert page.status_code == 200 and 'name="next" value="/ui/requests?status=open"' in page.text
    assert '<label for="api_key">API key</label>' in page.text
    done = client.post(
        "/ui/sign-in",
        data={
            "api_key": caller("staff").key,
            "csrf_token": csrf_of(page.text),
            "next": "/ui/requests?status=open",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/ui/requests?status=open"


def test_session_cookie_is_httponly_strict_and_sent_to_pages_and_api(
    client: TestClient, caller: CallerFactory
) -> None:
    response = sign_in(client, caller("staff").key)
    cookie = _session_cookie(response)
    flags = _cookie_flags(cookie)
    assert {"httponly", "path", "max-age", "samesite"} <= flags and "secure" not in flags
    # Path=/ so the JSON API accepts the session too (with its CSRF token on unsafe calls).
    assert "Path=/;" in cookie and "SameSite=strict" in cookie and "Max-Age=28800" in cookie
    assert client.get("/ui/requests").status_code == 200


def test_cookie_is_secure_over_https(client: TestClient, caller: CallerFactory) -> None:
    https = TestClient(client.app, base_url="https://testserver")
    page = https.get("/ui/sign-in")
    assert "secure" in _cookie_flags(page.headers["set-cookie"])
    response = https.post(
        "/ui/sign-in",
        data={"api_key": caller("staff").key, "csrf_token": csrf_of(page.text), "next": ""},
        follow_redirects=False,
    )
    assert "secure" in _cookie_flags(_session_cookie(response))


def test_only_the_hash_of_the_session_token_is_stored(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    response = sign_in(client, caller("staff").key)
    token = _session_cookie(response).split(";")[0].split("=", 1)[1]
    row = session.scalars(select(UiSession)).one()
    assert row.token_hash == keys.hash_key(token) and token not in (row.token_hash, row.csrf_token)
    assert row.expires_at - row.created_at == timedelta(hours=8)


def test_wrong_key_is_refused_on_the_page(client: TestClient, session: Session) -> None:
    response = sign_in(client, "kb_not-a-key")
    assert response.status_code == 401 and "invalid API key" in response.text
    assert "kb_ui_session" not in response.headers.get("set-cookie", "")
    assert session.scalar(select(func.count()).select_from(UiSession)) == 0


def test_sign_in_without_its_csrf_cookie_is_refused(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    key = caller("staff").key
    page = client.get("/ui/sign-in")
    token = csrf_of(page.text)
    client.cookies.clear()  # a cross-site form post carries no SameSite=Strict cookie
    response = client.post("/ui/sign-in", data={"api_key": key, "csrf_token": token}, follow_redirects=False)
    assert response.status_code == 403 and "security token" in response.text
    other = TestClient(client.app)
    other.get("/ui/sign-in")
    forged = other.post("/ui/sign-in", data={"api_key": key, "csrf_token": "guess"}, follow_redirects=False)
    assert forged.status_code == 403
    assert session.scalar(select(func.count()).select_from(UiSession)) == 0


def test_institution_keys_sign_in_to_their_own_pages(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    institution = make_institution(session)
    response = sign_in(client, caller("institution", institution).key)
    assert response.status_code == 303
    assert session.scalar(select(func.count()).select_from(UiSession)) == 1
    landing = client.get(response.headers["location"], follow_redirects=False)
    assert landing.status_code == 303 and landing.headers["location"] == "/ui/my/requests"


def test_next_never_leads_off_the_workspace(client: TestClient, caller: CallerFactory) -> None:
    for target in ("https://evil.example/", "//evil.example/ui/", "/api/v1/me", "/ui\\..\\x", "/ui/../api"):
        response = sign_in(client, caller("staff").key, next=target)
        assert response.headers["location"] == "/ui/requests", target


def test_sign_out_ends_the_session(client: TestClient, caller: CallerFactory, session: Session) -> None:
    csrf = signed_in(client, caller("staff").key)
    refused = client.post("/ui/sign-out", data={"csrf_token": "wrong"}, follow_redirects=False)
    assert refused.status_code == 403
    assert client.get("/ui/requests").status_code == 200
    out = client.post("/ui/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/ui/sign-in?signed_out=1"
    assert session.scalars(select(UiSession)).one().revoked_at is not None
    assert client.get("/ui/requests", follow_redirects=False).status_code == 303


def test_a_stolen_cookie_is_useless_after_sign_out(client: TestClient, caller: CallerFactory) -> None:
    response = sign_in(client, caller("staff").key)
    token = _session_cookie(response).split(";")[0].split("=", 1)[1]
    csrf = csrf_of(client.get("/ui/requests").text)
    client.post("/ui/sign-out", data={"csrf_token": csrf})
    thief = TestClient(client.app, cookies={"kb_ui_session": token})
    assert thief.get("/ui/requests", follow_redirects=False).status_code == 303


def test_revoking_the_key_ends_its_sessions(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    staff = caller("staff")
    signed_in(client, staff.key)
    keys.revoke_key(session, key_id=staff.key_id)
    response = client.get("/ui/requests", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/ui/sign-in")


def test_a_key_that_expires_ends_its_sessions(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    staff = caller("staff")
    signed_in(client, staff.key)
    session.get_one(ApiKey, staff.key_id).expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.flush()
    assert client.get("/ui/requests", follow_redirects=False).status_code == 303


def test_sessions_expire(client: TestClient, caller: CallerFactory, session: Session) -> None:
    signed_in(client, caller("staff").key)
    row = session.scalars(select(UiSession)).one()
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.flush()
    assert client.get("/ui/requests", follow_redirects=False).status_code == 303


def test_signing_in_again_clears_the_keys_ended_sessions(
    client: TestClient, caller: CallerFactory, session: Session
) -> None:
    staff = caller("staff")
    for _ in range(3):
        csrf = signed_in(client, staff.key)
        client.post("/ui/sign-out", data={"csrf_token": csrf})
    signed_in(client, staff.key)
    assert session.scalar(select(func.count()).select_from(UiSession)) == 1


def test_repeated_failed_sign_ins_are_throttled(client: TestClient) -> None:
    limit = client.app.state.auth_failures.max_events  # type: ignore[attr-defined]
    statuses = [sign_in(client, "kb_wrong").status_code for _ in range(limit + 1)]
    assert statuses[:limit] == [401] * limit and statuses[-1] == 429
    assert "too many failed sign-ins" in sign_in(client, "kb_wrong").text
