"""Exchanges opened from accepted matches, their status moves and each side's results report."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from broker.models import ExchangeSide, ExchangeStatus
from broker.schemas.codes import ModalityCodes, OutcomeCodes
from broker.schemas.common import MAX_ID, StrictModel, TrackedRead, UpdateModel, examples


def _currency(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) != 3 or not value.isalpha() or not value.isascii():
        raise ValueError("an ISO 4217 currency is three letters, e.g. USD")
    return value.upper()


def _http_links(values: list[str]) -> list[str]:
    for link in values:
        if not link.lower().startswith(("http://", "https://")) or len(link) < 11:
            raise ValueError(f"evidence links must be http(s) URLs: {link!r}")
    return values


Currency = Annotated[
    str | None, Field(default=None, description="ISO 4217, e.g. USD"), AfterValidator(_currency)
]
Links = Annotated[list[str], Field(max_length=20, description="http(s) URLs"), AfterValidator(_http_links)]


class _ExchangeFields(StrictModel):
    modalities: ModalityCodes | None = None
    starts_on: date | None = Field(default=None, ge=date(2000, 1, 1), le=date(2100, 12, 31))
    ends_on: date | None = Field(default=None, ge=date(2000, 1, 1), le=date(2100, 12, 31))
    participants: int | None = Field(default=None, ge=0, le=100_000)
    budget_amount: float | None = Field(default=None, ge=0, le=1e12)
    budget_currency: Currency = None
    budget_source: str | None = Field(default=None, max_length=200)
    funding_window_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The open funding window that finances it (budget in USD)"
    )
    requester_contact: str | None = Field(default=None, max_length=300)
    provider_contact: str | None = Field(default=None, max_length=300)
    notes: str | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _dates_ordered(self) -> Self:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class ExchangeCreate(_ExchangeFields):
    """What is known when the exchange is opened; unset fields are taken from the request and offer."""

    model_config = examples(
        {
            "modalities": ["study_tour"],
            "starts_on": "2027-03-01",
            "ends_on": "2027-03-10",
            "participants": 6,
            "budget_amount": 25000,
            "budget_currency": "USD",
            "budget_source": "South-South cooperation fund",
        }
    )


class ExchangeUpdate(UpdateModel, _ExchangeFields):
    """Changed fields only, with the version you read."""

    model_config = examples({"version": 1, "provider_contact": "Ana Souza, ana@example.org"})


class StatusChange(StrictModel):
    model_config = examples({"status": "under_way", "note": "The delegation arrived.", "version": 1})

    status: ExchangeStatus
    note: str | None = Field(default=None, max_length=5000)
    version: int = Field(ge=1, le=MAX_ID, description="The version you read; a stale version gets 409")


class ReportPut(StrictModel):
    """One side's whole report (PUT); version 0 for a side that has not reported yet."""

    model_config = examples(
        {
            "outcomes": ["enhanced_knowledge_skills"],
            "relevance": 5,
            "usefulness": 4,
            "adopted": "A draft decree on school meals.",
            "evidence_links": ["https://example.org/decree"],
            "version": 0,
        }
    )

    outcomes: OutcomeCodes = Field(default_factory=list)
    relevance: int = Field(ge=1, le=5)
    usefulness: int = Field(ge=1, le=5)
    adopted: str | None = Field(default=None, max_length=10_000, description="Any language")
    evidence_links: Links = Field(default_factory=list)
    version: int = Field(ge=0, le=MAX_ID, description="The version you read (0 for a first report)")


class ChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    from_status: ExchangeStatus | None
    to_status: ExchangeStatus
    fields: list[str]
    note: str | None
    actor_name: str | None = Field(description="Null for institution callers when the broker team acted")
    actor_key_id: int | None
    actor_user_id: int | None
    actor_institution_id: int | None
    created_at: datetime


class ReportRead(TrackedRead):
    side: ExchangeSide
    institution_id: int
    outcomes: list[str]
    relevance: int
    usefulness: int
    adopted: str | None
    adopted_language: str | None
    evidence_links: list[str]
    actor_name: str | None


class ExchangeRead(TrackedRead):
    match_id: int | None
    request_id: int
    offer_id: int
    requester_institution_id: int
    provider_institution_id: int
    status: ExchangeStatus
    modalities: list[str]
    starts_on: date | None
    ends_on: date | None
    participants: int | None
    budget_amount: float | None
    budget_currency: str | None
    budget_source: str | None
    funding_window_id: int | None
    requester_contact: str | None
    provider_contact: str | None
    notes: str | None
    completed_at: datetime | None
    changes: list[ChangeRead] = Field(default_factory=list)
    reports: list[ReportRead] = Field(default_factory=list)


class OutcomeCount(BaseModel):
    code: str
    count: int = Field(description="Exchanges whose reports reached this outcome")


class OutcomeTally(BaseModel):
    code: str
    name: str
    exchanges: int = Field(description="Completed exchanges with at least one report")
    outcomes: list[OutcomeCount]


class ProviderRecord(BaseModel):
    institution_id: int
    name: str
    country: str
    completed: int
    reports: int
    receiver_reports: int = Field(description="Requester-side reports behind the means")
    mean_relevance: float | None
    mean_usefulness: float | None
    outcomes: list[OutcomeCount]


class ResultsView(BaseModel):
    by_status: dict[str, int]
    by_sector_group: list[OutcomeTally]
    by_region: list[OutcomeTally]
    providers: list[ProviderRecord]
