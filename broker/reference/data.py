"""``ReferenceData``: the code lists loaded once, with lookups by code or name."""

from __future__ import annotations

import functools
import re
import unicodedata
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from broker.reference import loader
from broker.reference.errors import UnknownCode
from broker.reference.geo import haversine_km
from broker.reference.models import (
    Country,
    Language,
    Modality,
    Outcome,
    Region,
    SdgGoal,
    SdgTarget,
    Sector,
    SectorCategory,
    SectorGroup,
)
from broker.reference.names import normalize_code, normalize_name
from broker.reference.suggest import suggest_countries

if TYPE_CHECKING:
    from broker.reference.tables import ReferenceTables

_SDG = re.compile(r"^(?:sdg|goal)?\s*(\d{1,2})$", re.IGNORECASE)


class ReferenceData:
    """All reference code lists, immutable after loading, with lookups by code or name.

    Lists are tuples in a stable order (by code, except modalities and outcomes, which keep their
    documented order); lookups return ``None`` for unknown values, ``resolve_country`` raises.
    """

    def __init__(self, data_dir: Path) -> None:
        """Load every file in ``data_dir``.

        Args:
            data_dir: A folder laid out like data/reference.
        """
        self.data_dir = data_dir
        groups, categories, sectors = loader.load_sectors(data_dir)
        self.sector_groups: tuple[SectorGroup, ...] = tuple(groups)
        self.sector_categories: tuple[SectorCategory, ...] = tuple(categories)
        self.sectors: tuple[Sector, ...] = tuple(sectors)
        self.sdgs: tuple[SdgGoal, ...] = tuple(loader.load_sdgs(data_dir))
        self.regions: tuple[Region, ...] = tuple(loader.load_regions(data_dir))
        self._regions = {r.code: r for r in self.regions}
        self.countries: tuple[Country, ...] = tuple(loader.load_countries(data_dir, self._regions))
        self.languages: tuple[Language, ...] = tuple(loader.load_languages(data_dir))
        self.modalities: tuple[Modality, ...] = tuple(loader.load_modalities(data_dir))
        self.outcomes: tuple[Outcome, ...] = tuple(loader.load_outcomes(data_dir))
        self._groups = {g.code: g for g in self.sector_groups}
        self._categories = {c.code: c for c in self.sector_categories}
        self._sectors = {s.code: s for s in self.sectors}
        self._goals = {g.number: g for g in self.sdgs}
        self._targets = {t.code: t for g in self.sdgs for t in g.targets}
        self._region_names = {normalize_name(r.name): r for r in self.regions}
        self._countries = {c.alpha3: c for c in self.countries} | {c.alpha2: c for c in self.countries}
        self._country_names: dict[str, Country] = {}
        for country in self.countries:
            for name in (country.name, country.formal_name, *country.aliases):
                key = normalize_name(name or "")
                other = self._country_names.setdefault(key, country) if key else country
                if other is not country:
                    raise ValueError(f"country name {name!r} is ambiguous: {other.alpha3}, {country.alpha3}")
        self._languages = {lang.code: lang for lang in self.languages}
        self._language_names = {normalize_name(lang.name): lang for lang in self.languages}
        self._modalities = {normalize_code(m.name): m for m in self.modalities}
        self._modalities |= {m.code: m for m in self.modalities}
        self._outcomes = {normalize_code(o.name): o for o in self.outcomes} | {
            o.code: o for o in self.outcomes
        }

    # Sectors -----------------------------------------------------------------------------------

    def sector(self, code: str | int) -> Sector | None:
        """The 5-digit DAC sector with this code ("13040" or 13040), or None."""
        return self._sectors.get(str(code).strip())

    def sector_category(self, code: str | int) -> SectorCategory | None:
        """A 3-digit category by its code, or the category of a 5-digit sector code."""
        text = str(code).strip()
        sector = self._sectors.get(text)
        return self._categories.get(sector.category if sector else text)

    def sector_group(self, code: str | int) -> SectorGroup | None:
        """A sector group by its code, or the group of a 5-digit sector or 3-digit category code."""
        text = str(code).strip()
        if text in self._groups:
            return self._groups[text]
        parent = self._sectors.get(text) or self._categories.get(text)
        return self._groups.get(parent.group) if parent else None

    def search_sectors(self, query: str, *, limit: int = 20) -> list[Sector]:
        """Sectors whose code starts with ``query`` or whose text contains all its words.

        Matches in the name rank above matches in the category name or description only.

        Args:
            query: Free text ("hiv", "water supply") or a code prefix ("1304").
            limit: Maximum number of results.

        Returns:
            Up to ``limit`` sectors, best first, ties by code.
        """
        text = query.strip()
        if text.isdigit():
            return [s for s in self.sectors if s.code.startswith(text)][:limit]
        words = _words(text)
        if not words:
            return []
        scored = []
        for sector in self.sectors:
            name = _words(sector.name)
            rest = _words(f"{sector.category_name} {sector.description or ''}")
            hits = [2 if _hit(w, name) else 1 if _hit(w, rest) else 0 for w in words]
            if all(hits):
                scored.append((-sum(hits), sector.code, sector))
        return [s for *_, s in sorted(scored, key=lambda t: (t[0], t[1]))][:limit]

    # SDGs --------------------------------------------------------------------------------------

    def sdg(self, goal: int | str) -> SdgGoal | None:
        """An SDG by number: 3, "3", "SDG 3" or "Goal 3"; None if not 1..17."""
        if isinstance(goal, int):
            return self._goals.get(goal)
        match = _SDG.match(goal.strip())
        return self._goals.get(int(match[1])) if match else None

    def sdg_target(self, code: str) -> SdgTarget | None:
        """An SDG target by code ("3.3", "14.c"), or None."""
        return self._targets.get(code.strip().lower())

    # Geography ---------------------------------------------------------------------------------

    def region(self, value: str) -> Region | None:
        """An M49 region, sub-region or intermediate region by code ("014") or name."""
        text = value.strip()
        return self._regions.get(text.zfill(3) if text.isdigit() else text) or self._region_names.get(
            normalize_name(text)
        )

    def country(self, value: str) -> Country | None:
        """A country by alpha-3, alpha-2 or English name (case- and accent-insensitive), or None."""
        text = value.strip()
        return self._countries.get(text.upper()) or self._country_names.get(normalize_name(text))

    def resolve_country(self, value: str) -> str:
        """The alpha-3 code for a country code or name.

        Raises:
            UnknownCode: With up to three suggested alpha-3 codes.
        """
        country = self.country(value)
        if country is None:
            names = {c.alpha3: c.name for c in self.countries}
            raise UnknownCode("country", value, suggest_countries(self, value), labels=names)
        return country.alpha3

    def _resolved(self, value: str) -> Country:
        return self._countries[self.resolve_country(value)]

    def distance_km(self, a: str, b: str) -> float:
        """Great-circle distance between two countries' capitals (centroid if none is known).

        Raises:
            UnknownCode: If either country is unknown.
        """
        ca, cb = self._resolved(a), self._resolved(b)
        return haversine_km(ca.capital_lat, ca.capital_lon, cb.capital_lat, cb.capital_lon)

    def utc_offset_hours(self, value: str) -> float:
        """Standard (non-summer) UTC offset of the country's capital time zone, in hours."""
        return self._resolved(value).utc_offset_hours

    def utc_offset_difference_hours(self, a: str, b: str) -> float:
        """Clock difference between two countries in hours, in [0, 12] (wrapping at 24 h)."""
        diff = abs(self.utc_offset_hours(a) - self.utc_offset_hours(b)) % 24
        return min(diff, 24 - diff)

    # Languages, modalities, outcomes -----------------------------------------------------------

    def language(self, value: str) -> Language | None:
        """A language by ISO 639-1 code ("fr", also "fr-CA") or English name ("French")."""
        text = value.strip()
        base = re.split(r"[-_]", text, maxsplit=1)[0].lower()
        return self._languages.get(base) or self._language_names.get(normalize_name(text))

    def modality(self, value: str) -> Modality | None:
        """A modality by code or name ("e_learning", "E-learning", "Study tour")."""
        return self._modalities.get(normalize_code(value))

    def outcome(self, value: str) -> Outcome | None:
        """An intermediate capacity outcome by code or name."""
        return self._outcomes.get(normalize_code(value))

    # Summary and numeric tables ------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Number of entries per list (for ``broker taxonomy stats``)."""
        levels = [r.level for r in self.regions]
        return {
            "sectors": len(self.sectors),
            "sector_categories": len(self.sector_categories),
            "sector_groups": len(self.sector_groups),
            "sdg_goals": len(self.sdgs),
            "sdg_targets": len(self._targets),
            "countries": len(self.countries),
            "regions": levels.count("region"),
            "sub_regions": levels.count("sub_region"),
            "intermediate_regions": levels.count("intermediate_region"),
            "languages": len(self.languages),
            "modalities": len(self.modalities),
            "outcomes": len(self.outcomes),
        }

    @cached_property
    def tables(self) -> ReferenceTables:
        """Integer indexes and numpy arrays for the matching core (built on first use)."""
        from broker.reference.tables import ReferenceTables

        return ReferenceTables.from_reference(self)


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).casefold()
    return re.findall(r"[^\W_]+", "".join(ch for ch in plain if not unicodedata.combining(ch)))


def _hit(word: str, words: list[str]) -> bool:
    return any(w.startswith(word) for w in words)


def load_reference(path: Path | str | None = None) -> ReferenceData:
    """Load the reference data from ``path`` (default: the repository's data/reference).

    Args:
        path: A folder laid out like data/reference.

    Returns:
        A fresh ``ReferenceData`` (not cached; see ``get_reference``).
    """
    return ReferenceData(Path(path) if path is not None else loader.DEFAULT_DATA_DIR)


@functools.cache
def get_reference() -> ReferenceData:
    """The shared ``ReferenceData`` for data/reference, loaded on first call."""
    return load_reference()
