"""Accounts: invitations and their rules, passwords, one-time links, TOTP, disabling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from argon2 import Type
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized
from broker.models import AuditEvent, Role, TokenPurpose, UserToken
from broker.services import users
from tests.factories import PASSWORD, make_institution, make_user

ADMIN = Principal(key_id=None, name="admin", role=Role.admin)
NEW_PASSWORD = "a long enough new password"


def _events(session: Session, event: str) -> list[AuditEvent]:
    session.flush()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.event == event)))


def test_invite_then_set_password_then_sign_in_gives_role_and_institution(session: Session) -> None:
    ministry = make_institution(session)
    issued = users.invite(
        session,
        actor=ADMIN,
        email="  Amina.Otieno@Health.GO.KE ",
        display_name="Amina Otieno",
        role=Role.institution,
        institution_id=ministry.id,
    )
    assert issued.user.email == "amina.otieno@health.go.ke" and issued.user.password_hash is None
    with pytest.raises(Unauthorized):  # no password yet
        users.authenticate(session, email="amina.otieno@health.go.ke", password=NEW_PASSWORD)
    users.set_password_from_link(
        session, token=issued.token, purpose=TokenPurpose.invite, password=NEW_PASSWORD
    )
    user = users.authenticate(session, email="AMINA.OTIENO@health.go.ke", password=NEW_PASSWORD)
    principal = users.principal_for(user)
    assert (principal.role, principal.institution_id, principal.user_id, principal.key_id) == (
        Role.institution,
        ministry.id,
        user.id,
        None,
    )
    assert user.password_hash and user.password_hash.startswith("$argon2id$")
    assert _events(session, "user.invited") and _events(session, "user.password_set")


def test_the_same_email_in_another_case_is_the_same_account(session: Session) -> None:
    make_user(session, email="jo@example.org")
    with pytest.raises(Conflict):
        users.invite(session, actor=ADMIN, email="JO@Example.org", display_name="Jo", role=Role.staff)


def test_wrong_password_unknown_email_and_disabled_account_get_the_same_refusal(session: Session) -> None:
    user = make_user(session, email="known@example.org")
    messages = set()
    for email, password in (("known@example.org", "wrong password!!"), ("nobody@example.org", PASSWORD)):
        with pytest.raises(Unauthorized) as refused:
            users.authenticate(session, email=email, password=password)
        messages.add(refused.value.detail)
    users.set_disabled(session, actor=ADMIN, user_id=user.id, disabled=True)
    with pytest.raises(Unauthorized) as refused:
        users.authenticate(session, email="known@example.org", password=PASSWORD)
    messages.add(refused.value.detail)
    assert messages == {users.SIGN_IN_REFUSED}


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short pw", "at least 12"),
        ("taken@example.org", "email"),
        ("TAKEN@example.org", "email"),
        ("x" * 1025, "at most"),
    ],
)
def test_unacceptable_password_is_refused_and_the_link_still_works(
    session: Session, password: str, reason: str
) -> None:
    issued = users.invite(session, actor=ADMIN, email="taken@example.org", display_name="T", role=Role.staff)
    with pytest.raises(InvalidInput, match=reason):
        users.set_password_from_link(
            session, token=issued.token, purpose=TokenPurpose.invite, password=password
        )
    assert issued.user.password_hash is None
    users.set_password_from_link(
        session, token=issued.token, purpose=TokenPurpose.invite, password=NEW_PASSWORD
    )


def test_reset_link_works_once(session: Session) -> None:
    user = make_user(session)
    issued = users.reset_link(session, actor=ADMIN, user_id=user.id)
    assert issued.purpose == TokenPurpose.reset
    users.set_password_from_link(
        session, token=issued.token, purpose=TokenPurpose.reset, password=NEW_PASSWORD
    )
    with pytest.raises(InvalidInput, match="not valid"):
        users.set_password_from_link(
            session, token=issued.token, purpose=TokenPurpose.reset, password="another fine password"
        )
    assert users.authenticate(session, email=user.email, password=NEW_PASSWORD).id == user.id


def test_expired_reset_link_is_refused(session: Session) -> None:
    user = make_user(session)
    issued = users.reset_link(session, actor=ADMIN, user_id=user.id)
    row = session.scalar(select(UserToken).where(UserToken.user_id == user.id))
    assert row is not None
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.flush()
    with pytest.raises(InvalidInput, match="expired"):
        users.set_password_from_link(
            session, token=issued.token, purpose=TokenPurpose.reset, password=NEW_PASSWORD
        )


def test_a_newer_link_replaces_the_older_and_purposes_do_not_mix(session: Session) -> None:
    user = make_user(session)
    older = users.reset_link(session, actor=ADMIN, user_id=user.id)
    newer = users.reset_link(session, actor=ADMIN, user_id=user.id)
    with pytest.raises(InvalidInput):
        users.peek_link(session, token=older.token, purpose=TokenPurpose.reset)
    with pytest.raises(InvalidInput):
        users.peek_link(session, token=newer.token, purpose=TokenPurpose.invite)
    assert users.peek_link(session, token=newer.token, purpose=TokenPurpose.reset).id == user.id


def test_tokens_are_stored_hashed(session: Session) -> None:
    user = make_user(session)
    issued = users.reset_link(session, actor=ADMIN, user_id=user.id)
    stored = session.scalars(select(UserToken.token_hash)).all()
    assert issued.token not in stored and len(stored[0]) == 64


def test_institution_admin_invites_for_their_own_institution_only(session: Session) -> None:
    mine, other = make_institution(session, name="Mine"), make_institution(session, name="Other")
    admin_user = make_user(session, "institution", mine, is_institution_admin=True)
    actor = users.principal_for(admin_user)
    issued = users.invite(
        session, actor=actor, email="colleague@mine.org", display_name="C", role=Role.institution
    )
    assert issued.user.institution_id == mine.id and issued.user.invited_by_user_id == admin_user.id
    with pytest.raises(Forbidden, match="own institution"):
        users.invite(
            session,
            actor=actor,
            email="x@other.org",
            display_name="X",
            role=Role.institution,
            institution_id=other.id,
        )
    with pytest.raises(Forbidden, match="institution users only"):
        users.invite(session, actor=actor, email="boss@mine.org", display_name="B", role=Role.staff)
    # another institution's accounts are not even confirmed to exist
    theirs = make_user(session, "institution", other)
    with pytest.raises(NotFound):
        users.reset_link(session, actor=actor, user_id=theirs.id)
    assert [u.id for u in users.list_users(session, actor=actor)] == [admin_user.id, issued.user.id]


@pytest.mark.parametrize("role", ["staff", "broker", "institution"])
def test_who_does_not_manage_accounts_cannot_invite(session: Session, role: str) -> None:
    institution = make_institution(session) if role == "institution" else None
    actor = users.principal_for(make_user(session, role, institution))
    with pytest.raises(Forbidden):
        users.invite(session, actor=actor, email="new@example.org", display_name="N", role=Role.institution,
                     institution_id=institution.id if institution else None)  # fmt: skip
    with pytest.raises(Forbidden):
        users.list_users(session, actor=actor)


def test_invitation_input_is_checked(session: Session) -> None:
    with pytest.raises(InvalidInput, match="email"):
        users.invite(session, actor=ADMIN, email="not-an-email", display_name="N", role=Role.staff)
    with pytest.raises(InvalidInput, match="institution_id"):
        users.invite(session, actor=ADMIN, email="a@b.org", display_name="N", role=Role.institution)
    with pytest.raises(NotFound):
        users.invite(
            session,
            actor=ADMIN,
            email="a@b.org",
            display_name="N",
            role=Role.institution,
            institution_id=999_999,
        )
    with pytest.raises(InvalidInput, match="only institution users"):
        users.invite(
            session, actor=ADMIN, email="a@b.org", display_name="N", role=Role.staff, institution_admin=True
        )
    assert users.find_by_email(session, email="a@b.org") is None


def test_totp_needs_a_right_code_to_turn_on_and_then_to_sign_in(session: Session) -> None:
    user = make_user(session)
    secret = users.begin_totp(session, user=user)
    assert "otpauth://totp/" in users.totp_uri(user) and not user.totp_enabled
    with pytest.raises(InvalidInput):
        users.confirm_totp(
            session, user=user, code="000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
        )
    codes = users.confirm_totp(session, user=user, code=pyotp.TOTP(secret).now())
    assert user.totp_enabled and len(codes) == users.RECOVERY_CODES
    with pytest.raises(Unauthorized):  # the code that turned it on cannot be used again
        users.check_second_factor(session, user=user, code=pyotp.TOTP(secret).now())
    with pytest.raises(Unauthorized):
        users.check_second_factor(session, user=user, code="12345")
    users.check_second_factor(session, user=user, code=codes[0])
    with pytest.raises(Unauthorized):  # each recovery code works once
        users.check_second_factor(session, user=user, code=codes[0])
    assert _events(session, "user.totp_enabled") and _events(session, "user.recovery_code_used")


def test_turning_totp_off_needs_the_password(session: Session) -> None:
    user = make_user(session)
    secret = users.begin_totp(session, user=user)
    users.confirm_totp(session, user=user, code=pyotp.TOTP(secret).now())
    with pytest.raises(Unauthorized):
        users.disable_totp(session, user=user, password="not the password")
    assert user.totp_enabled
    users.disable_totp(session, user=user, password=PASSWORD)
    assert not user.totp_enabled and user.totp_secret is None and _events(session, "user.totp_disabled")


def test_disabling_ends_links_and_nobody_disables_themselves(session: Session) -> None:
    user = make_user(session, "admin")
    issued = users.reset_link(session, actor=ADMIN, user_id=user.id)
    users.set_disabled(session, actor=ADMIN, user_id=user.id, disabled=True)
    with pytest.raises(InvalidInput):
        users.peek_link(session, token=issued.token, purpose=TokenPurpose.reset)
    with pytest.raises(Conflict):
        users.reset_link(session, actor=ADMIN, user_id=user.id)
    users.set_disabled(session, actor=ADMIN, user_id=user.id, disabled=False)
    with pytest.raises(Conflict, match="own account"):
        users.set_disabled(session, actor=users.principal_for(user), user_id=user.id, disabled=True)


def test_change_password_needs_the_current_one(session: Session) -> None:
    user = make_user(session)
    with pytest.raises(Unauthorized):
        users.change_password(
            session, user=user, current="wrong password", new=NEW_PASSWORD, keep_session_id=None
        )
    users.change_password(session, user=user, current=PASSWORD, new=NEW_PASSWORD, keep_session_id=None)
    assert users.authenticate(session, email=user.email, password=NEW_PASSWORD).id == user.id


def test_production_hashes_are_argon2id_with_the_rfc_9106_profile() -> None:
    production = users.PRODUCTION_HASHER
    assert (production.type, production.time_cost, production.memory_cost, production.parallelism) == (
        Type.ID,
        3,
        65536,
        4,
    )
    assert production.hash("a password of ours").startswith("$argon2id$v=19$m=65536,t=3,p=4$")
