"""People signing in to the pages: invitation, password, second factor, throttling, disabling,
and the session cookie on the JSON API."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.config import Settings
from broker.models import AuditEvent, Role, TokenPurpose, User
from broker.services import users
from tests.conftest import session_client
from tests.factories import PASSWORD, make_institution, make_user
from tests.ui.conftest import csrf_of

ADMIN = Principal(key_id=None, name="admin", role=Role.admin)
NEW_PASSWORD = "a long enough new password"


def password_sign_in(
    client: TestClient, email: str, password: str, *, next: str = "/ui/requests"
) -> httpx.Response:
    page = client.get("/ui/sign-in")
    form = {"email": email, "password": password, "csrf_token": csrf_of(page.text), "next": next}
    return client.post("/ui/sign-in", data=form, follow_redirects=False)


def enter_code(client: TestClient, code: str) -> httpx.Response:
    page = client.get("/ui/sign-in/code?next=/ui/requests")
    assert page.status_code == 200, page.text
    form = {"code": code, "csrf_token": csrf_of(page.text), "next": "/ui/requests"}
    return client.post("/ui/sign-in/code", data=form, follow_redirects=False)


def session_csrf(client: TestClient) -> str:
    return csrf_of(client.get("/ui/account").text)


def _error(html: str) -> str:
    found = re.search(r'role="alert"[^>]*>([^<]+)<', html)
    assert found, "no error on the page"
    return found.group(1)


def test_invitation_to_first_page_with_the_right_principal(client: TestClient, session: Session) -> None:
    issued = users.invite(
        session, actor=ADMIN, email="Rev@Example.org", display_name="Reviewer", role=Role.staff
    )
    page = client.get(f"/ui/invite/{issued.token}")
    assert page.status_code == 200 and "rev@example.org" in page.text
    form = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "csrf_token": csrf_of(page.text)}
    done = client.post(f"/ui/invite/{issued.token}", data=form)
    assert done.status_code == 200 and "Your password is set" in done.text
    assert client.get(f"/ui/invite/{issued.token}").status_code == 422  # used up

    response = password_sign_in(client, "REV@example.org", NEW_PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/ui/requests"
    assert client.get("/ui/requests").status_code == 200
    me = client.get("/api/v1/me").json()
    assert me["user_id"] == issued.user.id and me["key_id"] is None and me["role"] == "staff"
    assert session.scalar(select(User.last_sign_in_at).where(User.id == issued.user.id)) is not None


def test_invitation_form_explains_a_bad_password_and_changes_nothing(
    client: TestClient, session: Session
) -> None:
    issued = users.invite(session, actor=ADMIN, email="p@example.org", display_name="P", role=Role.staff)
    for password, again, reason in (
        ("short", "short", "at least 12 characters"),
        ("p@example.org", "p@example.org", "must not be your email"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "the two passwords differ"),
    ):
        page = client.get(f"/ui/invite/{issued.token}")
        form = {"password": password, "password_again": again, "csrf_token": csrf_of(page.text)}
        refused = client.post(f"/ui/invite/{issued.token}", data=form)
        assert refused.status_code == 422 and reason in refused.text
    assert session.get(User, issued.user.id).password_hash is None  # type: ignore[union-attr]


def test_link_forms_need_their_csrf_cookie(client: TestClient, session: Session) -> None:
    issued = users.invite(session, actor=ADMIN, email="c@example.org", display_name="C", role=Role.staff)
    form = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "csrf_token": "forged"}
    assert client.post(f"/ui/invite/{issued.token}", data=form).status_code == 403
    assert session.get(User, issued.user.id).password_hash is None  # type: ignore[union-attr]


def test_wrong_password_and_unknown_email_get_the_same_answer(client: TestClient, session: Session) -> None:
    make_user(session, email="known@example.org")
    wrong = password_sign_in(client, "known@example.org", "not the password")
    unknown = password_sign_in(client, "nobody@example.org", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert _error(wrong.text) == _error(unknown.text) == users.SIGN_IN_REFUSED
    failures = session.scalars(select(AuditEvent).where(AuditEvent.event == "sign_in.failed")).all()
    assert len(failures) == 2


@pytest.fixture
def strict_client(app_settings: Settings, session: Session) -> Iterator[TestClient]:
    settings = app_settings.model_copy(update={"account_failure_limit": 3, "auth_failure_limit": 50})
    with session_client(settings, session) as test_client:
        yield test_client


def test_account_is_held_after_repeated_failures_even_with_the_right_password(
    strict_client: TestClient, session: Session
) -> None:
    make_user(session, email="target@example.org")
    for _ in range(3):
        assert password_sign_in(strict_client, "target@example.org", "guess guess guess").status_code == 401
    held = password_sign_in(strict_client, "TARGET@example.org", PASSWORD)
    assert held.status_code == 429 and "too many failed sign-ins for this account" in held.text
    # the same limit holds for an address with no account, so it tells nobody which exist
    for _ in range(3):
        password_sign_in(strict_client, "ghost@example.org", "guess guess guess")
    assert password_sign_in(strict_client, "ghost@example.org", PASSWORD).status_code == 429


def test_reset_requests_are_limited_apart_from_sign_ins(strict_client: TestClient, session: Session) -> None:
    make_user(session, email="often@example.org")
    answers = []
    for _ in range(4):
        page = strict_client.get("/ui/reset")
        form = {"email": "often@example.org", "csrf_token": csrf_of(page.text)}
        answers.append(strict_client.post("/ui/reset", data=form).status_code)
    assert answers == [200, 200, 200, 429]
    assert password_sign_in(strict_client, "often@example.org", PASSWORD).status_code == 303


def test_address_is_held_after_repeated_failures(app_settings: Settings, session: Session) -> None:
    settings = app_settings.model_copy(update={"auth_failure_limit": 4})
    make_user(session, email="someone@example.org")
    with session_client(settings, session) as test_client:
        for n in range(4):
            password_sign_in(test_client, f"spray{n}@example.org", "guess guess guess")
        held = password_sign_in(test_client, "someone@example.org", PASSWORD)
    assert held.status_code == 429 and "from this address" in held.text


def _with_totp(session: Session, user: User) -> pyotp.TOTP:
    secret = users.begin_totp(session, user=user)
    totp = pyotp.TOTP(secret)
    users.confirm_totp(session, user=user, code=totp.now())
    user.totp_last_step = None  # let the test's first code count
    session.flush()
    return totp


def test_second_factor_is_required_when_on_and_a_wrong_code_is_refused(
    client: TestClient, session: Session
) -> None:
    user = make_user(session, email="two@example.org")
    totp = _with_totp(session, user)
    first = password_sign_in(client, "two@example.org", PASSWORD)
    assert first.status_code == 303 and first.headers["location"].startswith("/ui/sign-in/code")
    assert client.get("/ui/requests", follow_redirects=False).status_code == 303  # no session yet
    wrong = enter_code(client, "000000" if totp.now() != "000000" else "111111")
    assert wrong.status_code == 401 and "not right" in wrong.text
    right = enter_code(client, totp.now())
    assert right.status_code == 303 and client.get("/ui/requests").status_code == 200
    # the step is used up: it cannot open a second session
    assert client.get("/ui/sign-in/code", follow_redirects=False).status_code == 303


def test_the_code_step_cannot_be_skipped_or_guessed_without_a_password(
    client: TestClient, session: Session
) -> None:
    page = client.get("/ui/sign-in")
    form = {"code": "123456", "csrf_token": csrf_of(page.text), "next": "/ui/requests"}
    response = client.post("/ui/sign-in/code", data=form)
    assert response.status_code == 401 and "start again" in response.text


def test_disabled_user_cannot_sign_in_and_their_sessions_stop(client: TestClient, session: Session) -> None:
    user = make_user(session, email="leaver@example.org")
    assert password_sign_in(client, "leaver@example.org", PASSWORD).status_code == 303
    assert client.get("/api/v1/me").status_code == 200
    users.set_disabled(session, actor=ADMIN, user_id=user.id, disabled=True)
    assert client.get("/ui/requests", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/me").status_code == 401
    refused = password_sign_in(client, "leaver@example.org", PASSWORD)
    assert refused.status_code == 401 and _error(refused.text) == users.SIGN_IN_REFUSED


def test_disabling_stops_a_session_even_if_its_row_was_not_revoked(
    client: TestClient, session: Session
) -> None:
    user = make_user(session, email="flag@example.org")
    password_sign_in(client, "flag@example.org", PASSWORD)
    user.disabled_at = user.created_at  # the flag alone, as a direct database edit would set it
    session.flush()
    assert client.get("/api/v1/me").status_code == 401


def test_institution_user_gets_its_own_pages_the_account_page_and_api_but_not_the_workspace(
    client: TestClient, session: Session
) -> None:
    ministry = make_institution(session)
    make_user(session, "institution", ministry, email="inst@health.go.ke")
    response = password_sign_in(client, "inst@health.go.ke", PASSWORD)
    assert response.status_code == 303
    staff_page = client.get("/ui/requests", follow_redirects=False)
    assert staff_page.status_code == 303 and staff_page.headers["location"] == "/ui/my/requests"
    assert client.get("/ui/my/requests").status_code == 200
    assert client.get("/ui/account").status_code == 200
    me = client.get("/api/v1/me").json()
    assert (me["role"], me["institution_id"]) == ("institution", ministry.id)


def test_cookie_session_on_the_api_needs_the_csrf_header_for_writes(
    client: TestClient, session: Session
) -> None:
    make_user(session, "admin", email="boss@example.org")
    password_sign_in(client, "boss@example.org", PASSWORD)
    body = {"email": "new@example.org", "display_name": "New", "role": "broker"}
    refused = client.post("/api/v1/users/invitations", json=body)
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    assert users.find_by_email(session, email="new@example.org") is None
    forged = client.post("/api/v1/users/invitations", json=body, headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    done = client.post("/api/v1/users/invitations", json=body, headers={"X-CSRF-Token": session_csrf(client)})
    assert done.status_code == 201 and done.json()["user"]["invited_by_user_id"] is not None


def test_account_page_turns_totp_on_with_a_qr_code_and_recovery_codes(
    client: TestClient, session: Session
) -> None:
    user = make_user(session, email="careful@example.org")
    password_sign_in(client, "careful@example.org", PASSWORD)
    page = client.post("/ui/account/totp", data={"csrf_token": session_csrf(client)})
    assert page.status_code == 200 and 'src="data:image/svg+xml' in page.text
    uri = re.search(r'<code id="totp-uri">([^<]+)</code>', page.text)
    assert uri is not None and uri.group(1).startswith(
        "otpauth://totp/knowledge-broker:careful%40example.org"
    )
    totp = pyotp.parse_uri(uri.group(1).replace("&amp;", "&"))
    wrong = client.post("/ui/account/totp/confirm", data={"csrf_token": session_csrf(client), "code": "12"})
    assert wrong.status_code == 422 and not session.get(User, user.id).totp_enabled  # type: ignore[union-attr]
    done = client.post(
        "/ui/account/totp/confirm", data={"csrf_token": session_csrf(client), "code": totp.now()}
    )
    assert done.status_code == 200 and len(re.findall(r"<li><code>[0-9a-f]{10}</code></li>", done.text)) == 8
    assert session.get(User, user.id).totp_enabled  # type: ignore[union-attr]
    assert client.post("/ui/account/totp", data={"csrf_token": "forged"}).status_code == 403


def test_changing_the_password_ends_the_other_sessions(
    client: TestClient, app_settings: Settings, session: Session
) -> None:
    make_user(session, email="mover@example.org")
    password_sign_in(client, "mover@example.org", PASSWORD)
    with session_client(app_settings, session) as other:
        password_sign_in(other, "mover@example.org", PASSWORD)
        form = {
            "csrf_token": session_csrf(client),
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        }
        assert "Your password is changed" in client.post("/ui/account/password", data=form).text
        assert client.get("/ui/account").status_code == 200
        assert other.get("/ui/account", follow_redirects=False).status_code == 303
    assert password_sign_in(client, "mover@example.org", NEW_PASSWORD).status_code == 303


def test_reset_link_page_sets_a_password_once(client: TestClient, session: Session) -> None:
    user = make_user(session, email="forgot@example.org")
    issued = users.reset_link(session, actor=ADMIN, user_id=user.id)
    assert issued.purpose == TokenPurpose.reset
    page = client.get(f"/ui/reset/{issued.token}")
    form = {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD, "csrf_token": csrf_of(page.text)}
    assert "Your password is changed" in client.post(f"/ui/reset/{issued.token}", data=form).text
    again = client.get(f"/ui/reset/{issued.token}")
    assert again.status_code == 422 and "used already" in again.text
    assert password_sign_in(client, "forgot@example.org", NEW_PASSWORD).status_code == 303


def test_asking_for_a_reset_says_the_same_for_known_and_unknown_emails(
    client: TestClient, session: Session
) -> None:
    make_user(session, email="known@example.org")
    answers = []
    for email in ("known@example.org", "unknown@example.org"):
        page = client.get("/ui/reset")
        answers.append(client.post("/ui/reset", data={"email": email, "csrf_token": csrf_of(page.text)}))
    assert {a.status_code for a in answers} == {200}
    assert re.sub(r'value="[^"]+"', "", answers[0].text) == re.sub(r'value="[^"]+"', "", answers[1].text)


def test_api_key_sign_in_still_works_beside_passwords(client: TestClient, caller) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/ui/sign-in")
    assert 'name="email"' in page.text and 'name="api_key"' in page.text
    form = {"api_key": caller("staff").key, "csrf_token": csrf_of(page.text), "next": "/ui/requests"}
    assert client.post("/ui/sign-in", data=form, follow_redirects=False).status_code == 303
    me = client.get("/api/v1/me").json()
    assert me["key_id"] is not None and me["user_id"] is None
