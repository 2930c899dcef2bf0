"""Who looks after a request on the broker team, its progress and its due date."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field, model_validator

from broker.models import AssignmentStatus
from broker.schemas.common import MAX_ID, StrictModel, examples

EARLIEST_DUE = date(2000, 1, 1)
LATEST_DUE = date(2100, 12, 31)


class AssignmentWrite(StrictModel):
    """The whole assignment (PUT): who, how far, by when, and the version it replaces."""

    model_config = examples(
        {"assignee_key_id": 3, "status": "in_review", "due_on": "2027-01-15", "version": 0}
    )

    assignee_key_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="A staff, broker or admin key; null: nobody"
    )
    assignee_user_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Or a staff, broker or admin person (user id)"
    )

    @model_validator(mode="after")
    def _one_assignee(self) -> AssignmentWrite:
        if self.assignee_key_id is not None and self.assignee_user_id is not None:
            raise ValueError("give assignee_key_id or assignee_user_id, not both")
        return self

    status: AssignmentStatus = AssignmentStatus.new
    due_on: date | None = Field(
        default=None, ge=EARLIEST_DUE, le=LATEST_DUE, description="The day the team means to answer by"
    )
    version: int = Field(
        ge=0, le=MAX_ID, description="The version you read (0 for a request never assigned); else 409"
    )


class AssignmentRead(BaseModel):
    """Institutions see the status and due date; the assignee only staff, brokers and admins."""

    request_id: int
    assignee_key_id: int | None
    assignee_user_id: int | None
    assignee_name: str | None
    status: AssignmentStatus
    due_on: date | None
    version: int = Field(description="0 while the request was never assigned")
    updated_at: datetime | None
