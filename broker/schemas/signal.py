"""An institution's signal on a proposed match, and how it reads back."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from broker.models import MatchSide, SignalKind
from broker.schemas.common import StrictModel, examples

NOTE_MAX = 2000


class SignalPut(StrictModel):
    model_config = examples({"signal": "interested", "note": "We would like an expert visit in March."})

    signal: SignalKind = Field(description="interested, or not_relevant")
    note: str | None = Field(
        default=None, max_length=NOTE_MAX, description="Why, in a sentence (seen by staff)"
    )


class SignalRead(BaseModel):
    """The latest signal of one side of a match."""

    model_config = ConfigDict(from_attributes=True)

    side: MatchSide = Field(description="requester (the request's institution) or offerer")
    institution_id: int
    signal: SignalKind
    note: str | None
    at: datetime = Field(validation_alias="created_at", description="When it was given")
