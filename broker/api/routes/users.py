"""People's accounts: invite, list, reset links, disable (admins; institution administrators for
their own institution)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from broker.api.deps import AppSettingsDep, CurrentPrincipal, RowId, SessionDep
from broker.api.responses import errors
from broker.schemas.user import InvitationCreate, UserLink, UserRead
from broker.services import links
from broker.services import users as service
from broker.services.users import IssuedLink

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", summary="List users", responses=errors(403))
def list_users(session: SessionDep, principal: CurrentPrincipal) -> list[UserRead]:
    """Accounts you manage: all for an admin, your institution's for its administrator."""
    return [UserRead.model_validate(u) for u in service.list_users(session, actor=principal)]


@router.post("/invitations", summary="Invite a person", status_code=201, responses=errors(403, 404, 409))
def invite(
    body: InvitationCreate, session: SessionDep, principal: CurrentPrincipal, settings: AppSettingsDep
) -> UserLink:
    """Create an account and its one-time invitation link (shown once; mailed if mail is configured)."""
    issued = service.invite(
        session,
        actor=principal,
        email=body.email,
        display_name=body.display_name,
        role=body.role,
        institution_id=body.institution_id,
        institution_admin=body.is_institution_admin,
        lifetime=timedelta(hours=settings.invite_lifetime_hours),
    )
    return _link(settings, issued)


@router.get("/{user_id}", summary="Get a user", responses=errors(403, 404))
def get_user(user_id: RowId, session: SessionDep, principal: CurrentPrincipal) -> UserRead:
    """One account you manage."""
    return UserRead.model_validate(service.managed_user(session, actor=principal, user_id=user_id))


@router.post("/{user_id}/reset-link", summary="Make a password reset link", responses=errors(403, 404, 409))
def reset_link(
    user_id: RowId, session: SessionDep, principal: CurrentPrincipal, settings: AppSettingsDep
) -> UserLink:
    """A one-time password reset link (an invitation link again if no password was ever set)."""
    lifetime = timedelta(minutes=settings.reset_lifetime_minutes)
    return _link(settings, service.reset_link(session, actor=principal, user_id=user_id, lifetime=lifetime))


@router.post("/{user_id}/disable", summary="Disable a user", responses=errors(403, 404, 409))
def disable(user_id: RowId, session: SessionDep, principal: CurrentPrincipal) -> UserRead:
    """Disable an account: its sessions and links stop working at once."""
    return UserRead.model_validate(
        service.set_disabled(session, actor=principal, user_id=user_id, disabled=True)
    )


@router.post("/{user_id}/enable", summary="Enable a user", responses=errors(403, 404))
def enable(user_id: RowId, session: SessionDep, principal: CurrentPrincipal) -> UserRead:
    """Enable a disabled account again (it signs in with its old password, or gets a reset link)."""
    return UserRead.model_validate(
        service.set_disabled(session, actor=principal, user_id=user_id, disabled=False)
    )


def _link(settings: AppSettingsDep, issued: IssuedLink) -> UserLink:
    return UserLink(
        user=UserRead.model_validate(issued.user),
        url=links.link_url(settings, issued),
        expires_at=issued.expires_at,
        mailed=links.mail_link(settings, issued),
    )
