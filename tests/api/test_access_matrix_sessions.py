"""The access matrix again, called by people's web sessions instead of API keys: a signed-in
user gets exactly what a key of the same role gets, on every route (one principal, one set of rules)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from broker.api.deps import CSRF_HEADER, SESSION_COOKIE
from broker.models import Institution
from broker.services import ui_sessions, users
from tests.api.test_access_matrix import CASES, ROLES, World, world  # noqa: F401  (world: a fixture)
from tests.factories import make_user

# The matrix's key callers, as people: "revoked" becomes a disabled account.
PEOPLE = {
    "inst_a": ("institution", "a"),
    "inst_b": ("institution", "b"),
    "broker": ("broker", None),
    "staff": ("staff", None),
    "admin": ("admin", None),
    "revoked": ("admin", None),
}
# Rows whose record belongs to one of the matrix's keys: a person of the same role is another caller.
OWNED_BY_A_KEY = {
    ("GET", "/api/v1/import-jobs/{import_job}"): {"broker": 404},  # a broker reads its own jobs
    # a subscription is its holder's: inst_a's key holds sub_a, not a person of institution A
    **{
        (method, path): {"inst_a": 404}
        for method, path in [
            ("GET", "/api/v1/subscriptions/{sub_a}"),
            ("PATCH", "/api/v1/subscriptions/{sub_a}"),
            ("POST", "/api/v1/subscriptions/{sub_a}/secret"),
            ("GET", "/api/v1/subscriptions/{sub_a}/deliveries"),
            ("DELETE", "/api/v1/subscriptions/{sub_a}"),
        ]
    },
}
PARAMS = [
    pytest.param(
        method,
        path,
        body,
        role,
        OWNED_BY_A_KEY.get((method, path), {}).get(role, codes[i]),
        id=f"{method} {path} as {role} user",
    )
    for method, path, body, codes in CASES
    for i, role in enumerate(ROLES)
    if role in PEOPLE
]


def signed_in_cookie(session: Session, matrix: World, role: str) -> tuple[str, str]:
    """A user of ``role`` (as the matrix names it) with an open session: its cookie and CSRF token."""
    user_role, institution = PEOPLE[role]
    home = session.get(Institution, matrix.ids[institution]) if institution else None
    user = make_user(session, user_role, home)
    opened = ui_sessions.sign_in_user(session, user=user)
    if role == "revoked":
        users.set_disabled(
            session, actor=users.principal_for(make_user(session, "admin")), user_id=user.id, disabled=True
        )
    return opened.token, opened.viewer.csrf_token


@pytest.mark.parametrize(("method", "path", "body", "role", "expected"), PARAMS)
def test_access_with_a_session(
    client: TestClient,
    session: Session,
    world: World,  # noqa: F811
    method: str,
    path: str,
    body: Any,
    role: str,
    expected: int,
) -> None:
    token, csrf = signed_in_cookie(session, world, role)
    client.cookies.set(SESSION_COOKIE, token)
    url = path.format(**world.ids)
    payload = body(world.ids) if body else None
    response = client.request(method, url, json=payload, headers={CSRF_HEADER: csrf})
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert set(response.json()) == {"error", "detail"}
