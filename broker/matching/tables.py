"""Lookup tables of the matching core, filled once from the reference code lists by the caller.

Every table is indexed by the same small integer codes the demand and supply arrays use, so the core
never needs the reference objects themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from broker.matching.arrays import ALL_MODALITIES, N_MODALITIES, FloatArray

CodeTable = NDArray[np.integer[Any]]  # stored as int32
NumberArray = NDArray[np.number[Any]]  # stored as float64 (int8 for travellers)
TRAVELLERS_NONE, TRAVELLERS_PARTICIPANTS, TRAVELLERS_EXPERTS = 0, 1, 2


def _array(obj: object, name: str, dtype: type[np.generic], shape: tuple[int, ...]) -> None:
    value = np.ascontiguousarray(getattr(obj, name), dtype=dtype)
    if value.shape != shape:
        raise ValueError(f"{name}: expected shape {shape}, got {value.shape}")
    object.__setattr__(obj, name, value)


@dataclass(frozen=True, eq=False)
class SectorTables:
    """DAC sector hierarchy as index arrays.

    Attributes:
        category_of: (n_sectors,) int32 index of each 5-digit sector's 3-digit category, -1 unknown.
        group_of: (n_sectors,) int32 index of each sector's sector group, -1 unknown.
    """

    category_of: CodeTable
    group_of: CodeTable

    def __post_init__(self) -> None:
        n = len(self.category_of)
        _array(self, "category_of", np.int32, (n,))
        _array(self, "group_of", np.int32, (n,))

    @property
    def n_sectors(self) -> int:
        """Number of 5-digit sector codes."""
        return len(self.category_of)


@dataclass(frozen=True, eq=False)
class CountryTables:
    """UN M49 geography, income level and distances per country index.

    Attributes:
        region_of: (n_countries,) int32 region index (e.g. Africa), -1 unknown.
        subregion_of: (n_countries,) int32 sub-region index (e.g. Sub-Saharan Africa), -1 unknown.
        intermediate_of: (n_countries,) int32 intermediate-region index (e.g. Eastern Africa), -1 when
            the country has none (most of Asia and Europe).
        income_of: (n_countries,) int32 World Bank income level: 0 low, 1 lower middle, 2 upper middle,
            3 high, -1 unknown.
        distance_km: (n_countries, n_countries) float64 capital-to-capital distances in km, >= 0.
    """

    region_of: CodeTable
    subregion_of: CodeTable
    intermediate_of: CodeTable
    income_of: CodeTable
    distance_km: NumberArray

    def __post_init__(self) -> None:
        n = len(self.region_of)
        for name in ("region_of", "subregion_of", "intermediate_of", "income_of"):
            _array(self, name, np.int32, (n,))
        _array(self, "distance_km", np.float64, (n, n))
        if np.any(self.income_of > 3) or np.any(self.income_of < -1):
            raise ValueError("income_of must be in {-1, 0, 1, 2, 3}")
        if not np.all(self.distance_km >= 0):
            raise ValueError("distance_km must be finite and >= 0")

    @property
    def n_countries(self) -> int:
        """Number of country codes."""
        return len(self.region_of)


@dataclass(frozen=True, eq=False)
class ModalityTables:
    """The 14 exchange modalities: how related they are and their planning cost parameters (USD).

    Attributes:
        relatedness: (14, 14) float64 in [0, 1]; ``relatedness[asked, offered]`` is the partial credit
            for running the exchange as ``offered`` when ``asked`` was preferred. The diagonal is
            forced to 1.
        fixed_usd: (14,) organisation cost per exchange, >= 0.
        per_participant_usd: (14,) materials, venue and fees per participant, >= 0.
        per_traveller_per_day_usd: (14,) lodging and per diem per traveller per day, >= 0.
        typical_days: (14,) duration in days, >= 0.
        typical_group_size: (14,) default number of participants, > 0.
        travellers: (14,) int8 who travels: 0 nobody, 1 the requesting participants, 2 experts.
        experts: (14,) number of travelling experts when ``travellers == 2``, >= 0.
        interpretation_per_day_usd: (14,) interpretation cost per day without a shared language, >= 0.
        preference_fit: derived (2**14, 15) float64; row = preferred-modality mask, column = modality:
            1.0 for a preferred modality, else the best relatedness to any preferred one; the
            no-preference row (mask 0) is all 1.0. Column 14 is a 0.0 sentinel for padding.
    """

    relatedness: NumberArray
    fixed_usd: NumberArray
    per_participant_usd: NumberArray
    per_traveller_per_day_usd: NumberArray
    typical_days: NumberArray
    typical_group_size: NumberArray
    travellers: NumberArray
    experts: NumberArray
    interpretation_per_day_usd: NumberArray
    preference_fit: FloatArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        m = N_MODALITIES
        _array(self, "relatedness", np.float64, (m, m))
        rel = np.array(self.relatedness, dtype=np.float64)
        np.fill_diagonal(rel, 1.0)
        if not np.all((rel >= 0) & (rel <= 1)):
            raise ValueError("relatedness must lie in [0, 1]")
        object.__setattr__(self, "relatedness", rel)
        for name in (
            "fixed_usd",
            "per_participant_usd",
            "per_traveller_per_day_usd",
            "typical_days",
            "typical_group_size",
            "experts",
            "interpretation_per_day_usd",
        ):
            _array(self, name, np.float64, (m,))
            if not np.all(np.isfinite(getattr(self, name)) & (getattr(self, name) >= 0)):
                raise ValueError(f"{name} must be finite and >= 0")
        _array(self, "travellers", np.int8, (m,))
        if not np.all(np.isin(self.travellers, (0, 1, 2))) or not np.all(self.typical_group_size > 0):
            raise ValueError("travellers must be 0, 1 or 2 and typical_group_size positive")
        object.__setattr__(self, "preference_fit", _preference_fit(rel))


def _preference_fit(relatedness: FloatArray) -> FloatArray:
    """Best credit per (preferred mask, modality), built by doubling: a mask with top bit p is the
    mask without p, maxed with row p of the relatedness matrix."""
    table = np.zeros((ALL_MODALITIES + 1, N_MODALITIES + 1), dtype=np.float64)
    for p in range(N_MODALITIES):
        low, high = 1 << p, 1 << (p + 1)
        table[low:high, :N_MODALITIES] = np.maximum(table[0:low, :N_MODALITIES], relatedness[p])
    table[0, :N_MODALITIES] = 1.0  # no preference: every modality suits
    return table


@dataclass(frozen=True, eq=False)
class MatchTables:
    """All lookup tables the scoring needs."""

    sectors: SectorTables
    countries: CountryTables
    modalities: ModalityTables
