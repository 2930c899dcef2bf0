"""Read-only views of the reference code lists."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class CodeList(BaseModel, Generic[T]):
    items: list[T]
    total: int


class _Ref(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SectorRead(_Ref):
    code: str
    name: str
    description: str | None
    category: str
    category_name: str
    group: str
    group_name: str


class SdgTargetRead(_Ref):
    code: str
    text: str


class SdgRead(_Ref):
    number: int
    name: str
    targets: list[SdgTargetRead]


class RegionRead(_Ref):
    code: str
    name: str
    level: str
    parent: str | None
    members: list[str]


class CountryRead(BaseModel):
    alpha3: str
    alpha2: str
    name: str
    region: str
    sub_region: str
    intermediate_region: str | None
    income_level: str | None
    capital: str | None
    capital_lat: float
    capital_lon: float
    languages: list[str]
    timezone: str
    utc_offset_hours: float


class LanguageRead(_Ref):
    code: str
    name: str


class ModalityCostRead(_Ref):
    fixed_usd: float
    travellers: str
    experts: int
    per_traveller_per_day_usd: float
    per_participant_usd: float
    interpretation_per_day_usd: float


class ModalityRead(_Ref):
    code: str
    name: str
    description: str
    delivery: str
    international_travel: bool
    typical_days: int
    typical_group_size: int
    cost: ModalityCostRead
    related: dict[str, float]


class OutcomeRead(_Ref):
    code: str
    name: str
    description: str
