from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    event: str
    actor_key_id: int | None
    actor_name: str | None
    actor_role: str | None
    client: str | None
    subject: str | None
    detail: dict[str, Any] | None
