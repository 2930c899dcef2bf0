from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from broker.schemas.common import MAX_ID, StrictModel, examples

FACTORS = ("semantic", "sector", "region", "modality", "language", "cost")


class Weights(StrictModel):
    """Factor weights; they are normalised to sum to 1 when saved."""

    semantic: float = Field(ge=0, le=100)
    sector: float = Field(ge=0, le=100)
    region: float = Field(ge=0, le=100)
    modality: float = Field(ge=0, le=100)
    language: float = Field(ge=0, le=100)
    cost: float = Field(ge=0, le=100)
    track_record: float | None = Field(
        default=None,
        ge=0,
        le=100,
        description="The provider's track record; omitted: 0.05 of the six others' total",
    )

    @model_validator(mode="after")
    def _not_all_zero(self) -> Self:
        if sum(float(getattr(self, name)) for name in FACTORS) <= 0:
            raise ValueError("at least one weight must be positive")
        return self

    def as_dict(self) -> dict[str, float]:
        values = {name: float(getattr(self, name)) for name in FACTORS}
        if self.track_record is not None:
            values["track_record"] = float(self.track_record)
        return values

    def normalised(self) -> dict[str, float]:
        values = self.as_dict()
        total = sum(values.values())
        return {name: value / total for name, value in values.items()}


class ProfilePut(StrictModel):
    model_config = examples(
        {
            "weights": {"semantic": 4, "sector": 2, "region": 1, "modality": 1, "language": 1, "cost": 1},
            "description": "Topic first; region, modality, language and cost as tie-breakers",
            "is_default": False,
        },
    )

    weights: Weights
    description: str | None = Field(default=None, max_length=2000)
    is_default: bool = Field(default=False, description="Make this the profile used when none is named")
    version: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="When replacing, the version you read"
    )


class ProfileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    description: str | None
    weights: dict[str, float]
    is_default: bool
    version: int
    updated_at: datetime
