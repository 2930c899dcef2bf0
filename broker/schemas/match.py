from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from broker.models import MatchStatus
from broker.schemas.common import MAX_ID, StrictModel, examples
from broker.schemas.signal import SignalRead


class ReviewCreate(StrictModel):
    model_config = examples(
        {
            "status": "accepted",
            "note": "Both sides confirmed dates in March.",
            "note_for_institutions": "Accepted: the broker will write to both of you.",
            "version": 1,
        },
    )

    status: MatchStatus = Field(
        description="The decision: shortlisted, accepted, rejected (or proposed to reopen)"
    )
    note: str | None = Field(default=None, max_length=5000, description="For staff only")
    note_for_institutions: str | None = Field(
        default=None, max_length=5000, description="Shown to the two institutions of the pair"
    )
    version: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="If given, the match version you reviewed"
    )


class ReviewRead(BaseModel):
    """One decision. Institution keys see the decision and the note written for them; the staff
    note and who decided are null for them."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: MatchStatus
    note: str | None = Field(description="The staff note (null for institution keys)")
    note_for_institutions: str | None
    reviewer_name: str | None = Field(description="Null for institution keys")
    reviewer_key_id: int | None = Field(description="Null for institution keys")
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
    signals: list[SignalRead] = Field(
        default=[],
        description="The latest signal of each institution of the pair (institution keys: their own only)",
    )
