"""People's accounts over the API: invitations, listing, reset links, disabling."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from broker.models import Role
from broker.schemas.common import MAX_ID, StrictModel, examples


class InvitationCreate(StrictModel):
    model_config = examples(
        {"email": "awa.ndiaye@sante.gouv.sn", "display_name": "Awa Ndiaye", "role": "institution",
         "institution_id": 12}
    )  # fmt: skip

    email: str = Field(min_length=3, max_length=320, description="Case does not matter; stored lower-cased")
    display_name: str = Field(min_length=1, max_length=200)
    role: Role = Field(description="An institution's administrator may invite role=institution only")
    institution_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="Required for, and only for, role=institution (default: the inviter's own)",
    )
    is_institution_admin: bool = Field(
        default=False, description="May invite and manage the accounts of their institution"
    )


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    role: Role
    institution_id: int | None
    is_institution_admin: bool
    totp_enabled: bool
    disabled: bool
    has_password: bool = Field(description="False until the invitation is accepted")
    invited_by_user_id: int | None
    invited_by_key_id: int | None
    created_at: datetime
    last_sign_in_at: datetime | None


class UserLink(BaseModel):
    """A one-time link: shown once in this answer (and mailed when mail is configured)."""

    user: UserRead
    url: str = Field(description="Open it to set a password; it works once")
    expires_at: datetime
    mailed: bool = Field(description="Whether it was also sent by mail (only with BROKER_SMTP_HOST set)")
