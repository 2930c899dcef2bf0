"""Offer and request payloads. Fields they share are declared once in the ``_Knowledge*`` bases."""

from __future__ import annotations

from datetime import date
from typing import Any, Self

from pydantic import Field, model_validator

from broker.models import OfferStatus, RequestStatus
from broker.schemas.codes import (
    CountryCode,
    LanguageCode,
    LanguageCodes,
    ModalityCodes,
    OutcomeCodes,
    SdgCodes,
    SectorCodes,
)
from broker.schemas.common import MAX_ID, ExternalId, StrictModel, TrackedRead, UpdateModel, examples

MAX_USD = 100_000_000
# A budget below one dollar is no budget; near zero it would also overflow cost / budget in the scorer.
MIN_BUDGET_USD = 1
BUDGET_TEXT = "Budget in USD, at least 1; null when there is none"
DESCRIPTION_TEXT = "The challenge (or the experience) in your own words, in any language; a sentence or more"
TEXT_LANGUAGE_TEXT = "Language of the title and description (ISO 639-1); detected from the text when omitted"
SECTORS_TEXT = (
    "OECD DAC purpose codes if you know them; otherwise leave empty and the service suggests "
    "codes from the text (see `suggested`)"
)


def _check_window(start: date | None, end: date | None, names: str) -> None:
    if start is not None and end is not None and start > end:
        raise ValueError(f"{names}: the start date must not be after the end date")


class _KnowledgeCreate(StrictModel):
    external_id: str | None = ExternalId
    institution_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="Required for broker and admin keys; an institution key posts for itself",
    )
    title: str = Field(min_length=3, max_length=300)
    description: str = Field(min_length=10, max_length=20_000, description=DESCRIPTION_TEXT)
    text_language: LanguageCode | None = Field(default=None, description=TEXT_LANGUAGE_TEXT)
    sectors: SectorCodes = Field(default_factory=list, description=SECTORS_TEXT)
    sdgs: SdgCodes = Field(default_factory=list)
    country: CountryCode | None = Field(default=None, description="Defaults to the institution's country")
    modalities: ModalityCodes = Field(default_factory=list)
    languages: LanguageCodes = Field(
        default=[], description="Defaults to the institution's working languages"
    )


class _KnowledgeUpdate(UpdateModel):
    title: str | None = Field(default=None, min_length=3, max_length=300)
    description: str | None = Field(default=None, min_length=10, max_length=20_000)
    text_language: LanguageCode | None = Field(default=None, description=TEXT_LANGUAGE_TEXT)
    sectors: SectorCodes | None = None
    sdgs: SdgCodes | None = None
    country: CountryCode | None = None
    modalities: ModalityCodes | None = None
    languages: LanguageCodes | None = None


class _KnowledgeRead(TrackedRead):
    external_id: str | None
    institution_id: int
    title: str
    description: str
    sectors: list[str]
    sdgs: list[int]
    country: str
    modalities: list[str]
    languages: list[str]
    text_language: str | None = Field(description="Language of the title and description (ISO 639-1)")
    text_language_detected: bool = Field(
        description="True when the service detected text_language from the text; false when the author "
        "gave it"
    )
    suggested: dict[str, Any] = Field(
        description="Codes suggested from the text, each with a confidence in [0, 1]; never the author's"
    )


class OfferCreate(_KnowledgeCreate):
    model_config = examples(
        {
            "institution_id": 2,
            "title": "School feeding bought from family farmers",
            "description": (
                "A national law makes schools buy at least 30% of their food from local family farms."
            ),
            "sectors": ["11220", "31120"],
            "sdgs": [2, 4],
            "modalities": ["study_tour", "expert_visit"],
            "cost_usd": 40000,
        },
    )

    modalities: ModalityCodes = Field(
        default_factory=list, description="How the experience can be shared; empty means any modality"
    )
    results: str | None = Field(default=None, max_length=20_000, description="Results and evidence")
    cost_usd: float | None = Field(default=None, ge=0, le=MAX_USD, description="Typical cost of one exchange")
    capacity_per_year: int | None = Field(default=None, ge=0, le=10_000)
    available_from: date | None = None
    available_until: date | None = None
    status: OfferStatus = OfferStatus.published

    @model_validator(mode="after")
    def _window(self) -> Self:
        _check_window(self.available_from, self.available_until, "available_from/available_until")
        return self


class OfferUpdate(_KnowledgeUpdate):
    model_config = examples(
        {"version": 1, "cost_usd": 35000, "status": "published"},
    )

    modalities: ModalityCodes | None = None
    results: str | None = Field(default=None, max_length=20_000)
    cost_usd: float | None = Field(default=None, ge=0, le=MAX_USD)
    capacity_per_year: int | None = Field(default=None, ge=0, le=10_000)
    available_from: date | None = None
    available_until: date | None = None
    status: OfferStatus | None = None


class OfferRead(_KnowledgeRead):
    results: str | None
    cost_usd: float | None
    capacity_per_year: int | None
    available_from: date | None
    available_until: date | None
    status: OfferStatus


class RequestCreate(_KnowledgeCreate):
    model_config = examples(
        {
            "institution_id": 1,
            "title": "Feed pupils from local farms",
            "description": "School meals depend on imported food and reach few rural schools.",
            "sectors": ["11220"],
            "budget_usd": 25000,
            "participants": 6,
        },
        {
            "institution_id": 1,
            "title": "Seguro de salud para trabajadores informales",
            "description": (
                "La mitad de los trabajadores del país no cotiza a ningún seguro y cuando se "
                "enferman pagan de su bolsillo."
            ),
        },
    )

    desired_outcomes: OutcomeCodes = Field(default_factory=list)
    budget_usd: float | None = Field(default=None, ge=MIN_BUDGET_USD, le=MAX_USD, description=BUDGET_TEXT)
    participants: int | None = Field(default=None, ge=1, le=1000)
    timeframe_start: date | None = None
    timeframe_end: date | None = None
    status: RequestStatus = RequestStatus.open

    @model_validator(mode="after")
    def _window(self) -> Self:
        _check_window(self.timeframe_start, self.timeframe_end, "timeframe_start/timeframe_end")
        return self


class RequestUpdate(_KnowledgeUpdate):
    model_config = examples(
        {"version": 1, "participants": 8, "timeframe_start": "2027-03-01", "timeframe_end": "2027-06-30"},
    )

    desired_outcomes: OutcomeCodes | None = None
    budget_usd: float | None = Field(default=None, ge=MIN_BUDGET_USD, le=MAX_USD, description=BUDGET_TEXT)
    participants: int | None = Field(default=None, ge=1, le=1000)
    timeframe_start: date | None = None
    timeframe_end: date | None = None
    status: RequestStatus | None = None


class RequestRead(_KnowledgeRead):
    desired_outcomes: list[str]
    budget_usd: float | None
    participants: int | None
    timeframe_start: date | None
    timeframe_end: date | None
    status: RequestStatus
