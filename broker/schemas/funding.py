"""Funding windows: a funder's sectors, countries, regions, income levels, modalities, amounts and dates."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from broker import reference
from broker.models import FundingWindowStatus
from broker.schemas.codes import LanguageCode, ModalityCodes
from broker.schemas.common import MAX_ID, ExternalId, StrictModel, TrackedRead, UpdateModel, examples

MAX_USD = 1e12
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
ANY = "; empty means any"

WindowSectors = Annotated[
    list[str],
    Field(max_length=60, description="DAC 3-digit sector groups (e.g. 120) or 5-digit purpose codes" + ANY),
    AfterValidator(lambda v: reference.validate_sectors_or_groups(v)),
]
Countries = Annotated[
    list[str],
    Field(max_length=250, description="ISO 3166-1 alpha-3 (alpha-2 or English names accepted)" + ANY),
    AfterValidator(lambda v: reference.validate_countries(v)),
]
Regions = Annotated[
    list[str],
    Field(max_length=40, description="M49 region, sub-region or intermediate region codes" + ANY),
    AfterValidator(lambda v: reference.validate_regions(v)),
]
IncomeLevels = Annotated[
    list[str],
    Field(max_length=4, description="World Bank income levels: Low, Lower middle, Upper middle, High" + ANY),
    AfterValidator(lambda v: reference.validate_income_levels(v)),
]
Usd = Annotated[float, Field(gt=0, le=MAX_USD)]
Day = Annotated[date, Field(ge=EARLIEST, le=LATEST)]
Share = Annotated[
    float,
    Field(ge=0, lt=1, description="Share of a pair's cost the partners cover themselves, in [0, 1)"),
]
TEXT_LANGUAGE_TEXT = "Language of the mandate (ISO 639-1); detected from the text when omitted"


def check_amounts_and_dates(
    *, max_per_exchange: float | None, envelope: float | None, opens: date | None, closes: date | None
) -> None:
    """Rules between fields (``ValueError``): the envelope covers one exchange, closing follows opening."""
    if max_per_exchange is not None and envelope is not None and envelope < max_per_exchange:
        raise ValueError("envelope_usd must be at least max_per_exchange_usd")
    if opens is not None and closes is not None and closes < opens:
        raise ValueError("closes_on must not be before opens_on")


class FundingWindowCreate(StrictModel):
    """A window a funder publishes; coverage lists left empty cover anything."""

    model_config = examples(
        {
            "institution_id": 3,
            "title": "South-South health exchanges 2027",
            "mandate": "Finances peer exchanges that strengthen primary health care in low-income countries.",
            "sectors": ["120", "13040"],
            "receiving_regions": ["002"],
            "receiving_income_levels": ["Low", "Lower middle"],
            "providing_countries": ["BRA", "IND"],
            "modalities": ["study_tour", "expert_visit"],
            "max_per_exchange_usd": 40000,
            "envelope_usd": 400000,
            "cofinancing_share": 0.2,
            "opens_on": "2027-01-01",
            "closes_on": "2027-12-31",
            "status": "open",
        }
    )

    external_id: str | None = ExternalId
    institution_id: int | None = Field(
        default=None,
        ge=1,
        le=MAX_ID,
        description="The funder; required for staff and admin callers, an institution posts for itself",
    )
    title: str = Field(min_length=3, max_length=300)
    mandate: str = Field(
        min_length=10, max_length=20_000, description="What the window finances, any language"
    )
    text_language: LanguageCode | None = Field(default=None, description=TEXT_LANGUAGE_TEXT)
    sectors: WindowSectors = Field(default_factory=list)
    receiving_countries: Countries = Field(default_factory=list)
    receiving_regions: Regions = Field(default_factory=list)
    receiving_income_levels: IncomeLevels = Field(default_factory=list)
    providing_countries: Countries = Field(default_factory=list)
    providing_regions: Regions = Field(default_factory=list)
    providing_income_levels: IncomeLevels = Field(default_factory=list)
    modalities: ModalityCodes = Field(default_factory=list, description="Modalities covered; empty means any")
    max_per_exchange_usd: Usd = Field(description="The most one exchange receives, in USD")
    envelope_usd: Usd = Field(description="The window's total, in USD; at least max_per_exchange_usd")
    cofinancing_share: Share = 0.0
    opens_on: Day
    closes_on: Day
    status: FundingWindowStatus = FundingWindowStatus.open

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_amounts_and_dates(max_per_exchange=self.max_per_exchange_usd, envelope=self.envelope_usd,
                                opens=self.opens_on, closes=self.closes_on)  # fmt: skip
        return self


class FundingWindowUpdate(UpdateModel):
    """Changed fields only, with the version you read; the rules between fields apply to the result."""

    model_config = examples({"version": 1, "status": "closed"}, {"version": 2, "envelope_usd": 500000})

    external_id: str | None = ExternalId
    title: str | None = Field(default=None, min_length=3, max_length=300)
    mandate: str | None = Field(default=None, min_length=10, max_length=20_000)
    text_language: LanguageCode | None = Field(default=None, description=TEXT_LANGUAGE_TEXT)
    sectors: WindowSectors | None = None
    receiving_countries: Countries | None = None
    receiving_regions: Regions | None = None
    receiving_income_levels: IncomeLevels | None = None
    providing_countries: Countries | None = None
    providing_regions: Regions | None = None
    providing_income_levels: IncomeLevels | None = None
    modalities: ModalityCodes | None = None
    max_per_exchange_usd: Usd | None = None
    envelope_usd: Usd | None = None
    cofinancing_share: Share | None = None
    opens_on: Day | None = None
    closes_on: Day | None = None
    status: FundingWindowStatus | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_amounts_and_dates(max_per_exchange=self.max_per_exchange_usd, envelope=self.envelope_usd,
                                opens=self.opens_on, closes=self.closes_on)  # fmt: skip
        return self


class FundingWindowColumns(TrackedRead):
    """The stored window (``FundingWindowRead`` adds what is committed from it)."""

    external_id: str | None
    institution_id: int
    title: str
    mandate: str
    text_language: str | None = Field(description="Language of the mandate (ISO 639-1)")
    text_language_detected: bool = Field(
        description="True when the service detected text_language from the mandate; false when given"
    )
    sectors: list[str]
    receiving_countries: list[str]
    receiving_regions: list[str]
    receiving_income_levels: list[str]
    providing_countries: list[str]
    providing_regions: list[str]
    providing_income_levels: list[str]
    modalities: list[str]
    max_per_exchange_usd: float
    envelope_usd: float
    cofinancing_share: float
    opens_on: date
    closes_on: date
    status: FundingWindowStatus


class FundingWindowRead(FundingWindowColumns):
    committed_usd: float = Field(description="Budgets of the exchanges it finances that are not cancelled")
    remaining_usd: float = Field(description="envelope_usd - committed_usd (negative when over-committed)")
