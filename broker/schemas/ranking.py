"""Ranked match lists: what the matcher proposes and why."""

from __future__ import annotations

from pydantic import BaseModel, Field

from broker.matching import Fit
from broker.models import MatchStatus
from broker.schemas.codes import CountryCode, LanguageCode, LanguageCodes, ModalityCodes, SectorCodes
from broker.schemas.common import MAX_ID, StrictModel, examples
from broker.schemas.knowledge import BUDGET_TEXT, MAX_USD, MIN_BUDGET_USD


class ReasonDetail(BaseModel):
    """One reason for a match as data: its code and parameters are the same in every language."""

    code: str = Field(
        description="Stable machine-readable code, e.g. sector.same_code, language.shared, "
        "modality.substituted, cost.within_budget; 'text' for a reason stored before reasons had codes",
        examples=["language.shared"],
    )
    params: dict[str, str | int | float | list[str]] = Field(
        description="Reference codes (ISO country and language, DAC sector, M49 region, modality codes) "
        "and numbers (USD amounts, scores in [0, 1]) the sentence is built from",
        examples=[{"languages": ["pt"]}],
    )
    text: str = Field(description="The sentence in the response's language (Content-Language)")


class CostBreakdownRead(BaseModel):
    """A pair's estimated cost in the parts of the cost model; the parts sum to the total."""

    fixed_usd: float = Field(description="The modality's fixed cost, or the offer's own stated delivery cost")
    participants_usd: float = Field(description="Per-participant costs (0 when the offer states its cost)")
    travel_usd: float = Field(description="Airfare and daily costs of whoever travels")
    interpretation_usd: float = Field(
        description="Interpretation, when the two sides share no working language"
    )
    total_usd: float = Field(description="The estimate the cost factor scored")
    modality: str = Field(description="The modality the estimate assumes", examples=["expert_visit"])
    why: ReasonDetail = Field(
        description="Why that modality (e.g. modality.substituted: related and cheaper)"
    )


class PartySummary(BaseModel):
    """The other side of a match in one line: what it is, who offers or asks, from where."""

    id: int
    title: str
    institution_id: int
    institution_name: str
    country: str | None = Field(description="ISO 3166-1 alpha-3")


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
    reasons: list[str] = Field(
        description="Why the pair ranks where it does, one sentence per reason, in the language the "
        "Accept-Language header asks for (en, es, fr or pt; default en)"
    )
    reasons_detail: list[ReasonDetail] = Field(
        default_factory=list, description="The same reasons, in the same order, as codes and parameters"
    )
    status: MatchStatus | None = Field(description="Review status of the stored match")
    fit: Fit | None = Field(
        description="strong: on topic and practical; possible: worth a look; weak: not a good match"
    )
    relevance: float | None = Field(
        ge=0,
        le=1,
        description="Topical relevance (semantic and sector evidence) that gates the other factors",
    )
    cost_breakdown: CostBreakdownRead | None = Field(
        default=None, description="The estimate's parts (null for matches shown as last stored)"
    )
    offer: PartySummary | None = Field(default=None, description="The offer, for ranked offers")
    request: PartySummary | None = Field(default=None, description="The request, for ranked requests")


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
