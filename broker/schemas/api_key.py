from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from broker.models import Role
from broker.schemas.common import MAX_ID, StrictModel, UtcDateTime, examples


class ApiKeyCreate(StrictModel):
    model_config = examples(
        {"name": "Reviewer", "role": "staff"},
        {"name": "FNDE portal", "role": "institution", "institution_id": 2},
    )

    name: str = Field(min_length=1, max_length=200)
    role: Role
    institution_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Required for, and only for, role=institution"
    )
    expires_at: UtcDateTime | None = None


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: Role
    institution_id: int | None
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret: shown once, never stored in clear")


class Me(BaseModel):
    key_id: int | None = Field(description="The API key called with; null for a person's session")
    user_id: int | None = Field(default=None, description="The signed-in person's account, if any")
    name: str
    role: Role
    institution_id: int | None
