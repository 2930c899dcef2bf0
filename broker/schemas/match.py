from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from broker.models import MatchStatus
from broker.schemas.common import MAX_ID, StrictModel


class ReviewCreate(StrictModel):
    status: MatchStatus = Field(
        description="The decision: shortlisted, accepted, rejected (or proposed to reopen)"
    )
    note: str | None = Field(default=None, max_length=5000)
    version: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="If given, the match version you reviewed"
    )


class ReviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: MatchStatus
    note: str | None
    reviewer_name: str
    reviewer_key_id: int | None
    score_at_review: float | None
    created_at: datetime


class MatchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    request_id: int
    offer_id: int
    profile: str
    rank: int | None
    score: float
    components: dict[str, float]
    contributions: dict[str, float]
    estimated_cost_usd: float | None
    reasons: list[str]
    status: MatchStatus
    computed_at: datetime
    version: int
    reviews: list[ReviewRead] = []
