"""Typed, immutable entries of the reference code lists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

IncomeLevel = Literal["Low", "Lower middle", "Upper middle", "High"]
INCOME_LEVELS: tuple[IncomeLevel, ...] = ("Low", "Lower middle", "Upper middle", "High")
RegionLevel = Literal["region", "sub_region", "intermediate_region"]
Delivery = Literal["face_to_face", "virtual", "blended"]
Travellers = Literal["participants", "experts", "none"]
TRAVELLERS: tuple[Travellers, ...] = ("none", "participants", "experts")
CapitalSource = Literal["geonames", "manual", "centroid"]
GroupSource = Literal["dac-sector-groups", "category"]


@dataclass(frozen=True)
class SectorGroup:
    """A DAC sector group (e.g. "120" Health), the coarsest sector level."""

    code: str
    name: str
    categories: tuple[str, ...]


@dataclass(frozen=True)
class SectorCategory:
    """A DAC 3-digit sector category (e.g. "121" Health, General)."""

    code: str
    name: str
    description: str | None
    group: str
    group_name: str


@dataclass(frozen=True)
class Sector:
    """An OECD DAC CRS 5-digit purpose code (e.g. "13040" STD control including HIV/AIDS)."""

    code: str
    name: str
    description: str | None
    category: str
    category_name: str
    group: str
    group_name: str
    group_source: GroupSource


@dataclass(frozen=True)
class SdgTarget:
    """One of the 169 SDG targets, e.g. "3.3"."""

    code: str
    goal: int
    text: str


@dataclass(frozen=True)
class SdgGoal:
    """One of the 17 Sustainable Development Goals."""

    number: int
    name: str
    targets: tuple[SdgTarget, ...] = field(repr=False)

    @property
    def code(self) -> str:
        """The goal number as a string ("3")."""
        return str(self.number)


@dataclass(frozen=True)
class Region:
    """A UN M49 region, sub-region or intermediate region with its member countries."""

    code: str
    name: str
    level: RegionLevel
    parent: str | None
    members: tuple[str, ...] = field(repr=False)


@dataclass(frozen=True)
class Country:
    """A country or territory with an ISO 3166-1 alpha-3 code.

    ``capital_lat``/``capital_lon`` fall back to the polygon centroid when no capital is known
    (``capital_source == "centroid"``), so they are always usable for distances.
    """

    alpha3: str
    alpha2: str
    m49: str
    name: str
    formal_name: str | None
    region: Region
    sub_region: Region
    intermediate_region: Region | None
    income_level: IncomeLevel | None
    centroid_lat: float
    centroid_lon: float
    capital: str | None
    capital_lat: float
    capital_lon: float
    capital_source: CapitalSource
    official_languages: tuple[str, ...]
    languages: tuple[str, ...]
    timezone: str
    utc_offset_hours: float
    aliases: tuple[str, ...] = field(repr=False)


@dataclass(frozen=True)
class Language:
    """An ISO 639-1 language."""

    code: str
    name: str


@dataclass(frozen=True)
class ModalityCost:
    """Planning cost parameters of a modality (US dollars; assumptions, not quotes)."""

    fixed_usd: float
    travellers: Travellers
    experts: int
    per_traveller_per_day_usd: float
    per_participant_usd: float
    interpretation_per_day_usd: float


@dataclass(frozen=True)
class Modality:
    """A knowledge-exchange instrument such as a study tour or a twinning arrangement."""

    code: str
    name: str
    description: str
    delivery: Delivery
    international_travel: bool
    typical_days: int
    typical_group_size: int
    cost: ModalityCost
    related: Mapping[str, float] = field(compare=False, repr=False)

    def credit(self, other: str) -> float:
        """Partial credit for offering ``other`` when this modality was asked for.

        Args:
            other: Another modality code.

        Returns:
            1.0 for the same modality, the stated credit in (0, 1) for a related one, else 0.0.
        """
        return 1.0 if other == self.code else self.related.get(other, 0.0)


@dataclass(frozen=True)
class Outcome:
    """An intermediate capacity outcome that a knowledge exchange aims at."""

    code: str
    name: str
    description: str
