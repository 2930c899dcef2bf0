"""People's accounts over the JSON API: invitations, links, disabling, and who may do which."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.api.deps import CSRF_HEADER, SESSION_COOKIE
from broker.models import AuditEvent, TokenPurpose, User
from broker.services import ui_sessions, users
from tests.factories import CallerFactory, make_institution, make_user

STAFF_INVITE = {"email": "Reviewer@Agency.org", "display_name": "Reviewer", "role": "staff"}


def _as_user(client: TestClient, session: Session, user: User) -> dict[str, str]:
    opened = ui_sessions.sign_in_user(session, user=user)
    client.cookies.set(SESSION_COOKIE, opened.token)
    return {CSRF_HEADER: opened.viewer.csrf_token}


def _count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def test_admin_invites_and_the_link_sets_a_password(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    admin = caller("admin")
    response = client.post("/api/v1/users/invitations", json=STAFF_INVITE, headers=admin.headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["user"]["email"] == "reviewer@agency.org" and body["user"]["has_password"] is False
    assert body["user"]["invited_by_key_id"] == admin.key_id and body["mailed"] is False
    assert body["url"].startswith("http://127.0.0.1:8000/ui/invite/")
    token = body["url"].rsplit("/", 1)[1]
    users.set_password_from_link(
        session, token=token, purpose=TokenPurpose.invite, password="long enough password"
    )
    listed = client.get("/api/v1/users", headers=admin.headers).json()
    assert [u["has_password"] for u in listed if u["email"] == "reviewer@agency.org"] == [True]
    session.flush()
    assert session.scalar(select(func.count()).where(AuditEvent.event == "user.invited")) == 1


def test_bad_invitations_are_refused_and_create_nothing(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    admin = caller("admin").headers
    make_user(session, email="taken@agency.org")
    before = _count(session)
    cases = [
        ({**STAFF_INVITE, "email": "no-at-sign"}, 422),
        ({**STAFF_INVITE, "email": "TAKEN@agency.org"}, 409),
        ({**STAFF_INVITE, "role": "institution"}, 422),
        ({**STAFF_INVITE, "role": "institution", "institution_id": 987_654}, 404),
        ({**STAFF_INVITE, "role": "chief"}, 422),
        ({**STAFF_INVITE, "surprise": 1}, 422),
    ]
    for body, status in cases:
        response = client.post("/api/v1/users/invitations", json=body, headers=admin)
        assert response.status_code == status, (body, response.text)
        assert set(response.json()) == {"error", "detail"}
    assert _count(session) == before


def test_institution_admin_invites_for_their_institution_only(client: TestClient, session: Session) -> None:
    mine, other = make_institution(session, name="Mine"), make_institution(session, name="Other")
    headers = _as_user(client, session, make_user(session, "institution", mine, is_institution_admin=True))
    own = {"email": "colleague@mine.org", "display_name": "Colleague", "role": "institution"}
    done = client.post("/api/v1/users/invitations", json=own, headers=headers)
    assert done.status_code == 201 and done.json()["user"]["institution_id"] == mine.id
    before = _count(session)
    elsewhere = client.post(
        "/api/v1/users/invitations",
        json={**own, "email": "x@o.org", "institution_id": other.id},
        headers=headers,
    )
    as_staff = client.post(
        "/api/v1/users/invitations", json={**own, "email": "y@o.org", "role": "staff"}, headers=headers
    )
    assert (elsewhere.status_code, as_staff.status_code) == (403, 403) and _count(session) == before
    theirs = make_user(session, "institution", other)
    assert client.post(f"/api/v1/users/{theirs.id}/disable", headers=headers).status_code == 404
    assert {u["institution_id"] for u in client.get("/api/v1/users").json()} == {mine.id}


def test_plain_institution_user_manages_no_accounts(client: TestClient, session: Session) -> None:
    ministry = make_institution(session)
    headers = _as_user(client, session, make_user(session, "institution", ministry))
    own = {"email": "colleague@mine.org", "display_name": "Colleague", "role": "institution"}
    assert client.post("/api/v1/users/invitations", json=own, headers=headers).status_code == 403
    assert client.get("/api/v1/users").status_code == 403


def test_reset_link_then_disable_ends_the_link_and_the_session(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    admin = caller("admin").headers
    person = make_user(session, email="person@agency.org")
    link = client.post(f"/api/v1/users/{person.id}/reset-link", headers=admin).json()
    assert "/ui/reset/" in link["url"]
    opened = ui_sessions.sign_in_user(session, user=person)
    disabled = client.post(f"/api/v1/users/{person.id}/disable", headers=admin)
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    assert client.get(link["url"].replace("http://127.0.0.1:8000", "")).status_code == 422
    client.cookies.set(SESSION_COOKIE, opened.token)
    assert client.get("/api/v1/me").status_code == 401
    client.cookies.clear()
    assert client.post(f"/api/v1/users/{person.id}/reset-link", headers=admin).status_code == 409
    assert client.post(f"/api/v1/users/{person.id}/enable", headers=admin).json()["disabled"] is False
    assert client.get("/api/v1/users/999999", headers=admin).status_code == 404


def test_a_bearer_key_wins_over_a_session_cookie(
    client: TestClient, session: Session, caller: CallerFactory
) -> None:
    ministry = make_institution(session)
    _as_user(client, session, make_user(session, "institution", ministry))
    staff = caller("staff")
    me = client.get("/api/v1/me", headers=staff.headers).json()
    assert (me["key_id"], me["role"]) == (staff.key_id, "staff")
