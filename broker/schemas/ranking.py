"""Ranked match lists: what the matcher proposes and why."""

from __future__ import annotations

from pydantic import BaseModel, Field

from broker.matching import Fit
from broker.models import MatchStatus
from broker.schemas.codes import CountryCode, LanguageCode, LanguageCodes, ModalityCodes, SectorCodes
from broker.schemas.common import MAX_ID, StrictModel, examples
from broker.schemas.knowledge import BUDGET_TEXT, MAX_USD, MIN_BUDGET_USD


class RankedItem(BaseModel):
    id: int | None = Field(description="The stored match's id (null for an exploratory ranking)")
    request_id: int | None
    offer_id: int | None
    rank: int | None
    score: float = Field(ge=0, le=1)
    components: dict[str, float] = Field(description="Each factor's value in [0, 1]")
    contributions: dict[str, float] = Field(description="Weight x factor; they sum to the score")
    estimated_cost_usd: float | None = Field(description="Estimated cost of one exchange for this pair")
    modality: str | None = Field(description="The modality the cost estimate assumes")
    reasons: list[str]
    status: MatchStatus | None = Field(description="Review status of the stored match")
    fit: Fit | None = Field(
        description="strong: on topic and practical; possible: worth a look; weak: not a good match"
    )
    relevance: float | None = Field(
        ge=0,
        le=1,
        description="Topical relevance (semantic and sector evidence) that gates the other factors",
    )


class RankedList(BaseModel):
    items: list[RankedItem]
    profile: str
    model_id: str
    recomputed: bool = Field(description="False when stored matches are shown (the request is not open)")
    good_match: bool = Field(description="Whether any item is a strong or possible fit")
    summary: str = Field(description="One sentence on the list, e.g. that nothing is a good match")


class ExploreRequest(StrictModel):
    """A request that is not stored: a broker exploring what the catalogue could offer."""

    model_config = examples(
        {
            "title": "Feed pupils from local farms",
            "description": "School meals depend on imported food and reach few rural schools.",
            "country": "Mozambique",
            "sectors": ["11220"],
            "languages": ["pt"],
            "budget_usd": 25000,
            "participants": 6,
        },
    )

    institution_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Excludes its own offers, adds its languages"
    )
    title: str = Field(min_length=3, max_length=300)
    description: str = Field(min_length=10, max_length=20_000)
    sectors: SectorCodes = Field(default_factory=list)
    country: CountryCode
    text_language: LanguageCode | None = Field(default=None, description="Detected when omitted")
    modalities: ModalityCodes = Field(default_factory=list)
    languages: LanguageCodes = Field(default_factory=list)
    budget_usd: float | None = Field(default=None, ge=MIN_BUDGET_USD, le=MAX_USD, description=BUDGET_TEXT)
    participants: int | None = Field(default=None, ge=1, le=1000)
