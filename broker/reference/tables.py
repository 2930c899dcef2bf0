"""Integer indexes and numpy lookup tables for the vectorised matching core.

Every index is stable for a given data/reference: countries, sectors and languages are in code
order, modalities and outcomes in their documented order. All arrays are read-only; "-1" means
"none" in integer index arrays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from broker.reference.geo import haversine_matrix_km
from broker.reference.models import INCOME_LEVELS, TRAVELLERS

if TYPE_CHECKING:
    from broker.reference.data import ReferenceData

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def _frozen(values: Sequence[Any] | NDArray[Any], dtype: type[Any]) -> NDArray[Any]:
    array = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


def _index(codes: Sequence[str]) -> Mapping[str, int]:
    return MappingProxyType({code: i for i, code in enumerate(codes)})


@dataclass(frozen=True, eq=False)
class ReferenceTables:
    """Reference lists encoded as integer indexes and arrays (see ``from_reference``).

    Country arrays have shape (n_countries,) and are aligned with ``country_codes``;
    ``country_income_idx`` indexes ``income_levels`` (0 = Low .. 3 = High, -1 = unknown);
    ``country_lat``/``country_lon`` are capital coordinates (centroid where no capital is known).
    Modality arrays have shape (14,) aligned with ``modality_codes``; ``modality_travellers_idx``
    indexes ``travellers`` (0 none, 1 participants, 2 experts).
    """

    country_codes: tuple[str, ...]
    country_index: Mapping[str, int]
    region_codes: tuple[str, ...]
    subregion_codes: tuple[str, ...]
    intermediate_codes: tuple[str, ...]
    country_region_idx: IntArray
    country_subregion_idx: IntArray
    country_intermediate_idx: IntArray
    income_levels: tuple[str, ...]
    country_income_idx: IntArray
    country_lat: FloatArray
    country_lon: FloatArray
    country_utc_offset_hours: FloatArray
    country_language_mask: BoolArray
    sector_codes: tuple[str, ...]
    sector_index: Mapping[str, int]
    category_codes: tuple[str, ...]
    group_codes: tuple[str, ...]
    sector_category_idx: IntArray
    sector_group_idx: IntArray
    language_codes: tuple[str, ...]
    language_index: Mapping[str, int]
    outcome_codes: tuple[str, ...]
    outcome_index: Mapping[str, int]
    modality_codes: tuple[str, ...]
    modality_index: Mapping[str, int]
    modality_relatedness: FloatArray
    travellers: tuple[str, ...]
    modality_travellers_idx: IntArray
    modality_international_travel: BoolArray
    modality_typical_days: IntArray
    modality_typical_group_size: IntArray
    modality_experts: IntArray
    modality_fixed_usd: FloatArray
    modality_per_traveller_per_day_usd: FloatArray
    modality_per_participant_usd: FloatArray
    modality_interpretation_per_day_usd: FloatArray

    @cached_property
    def country_distance_km(self) -> FloatArray:
        """Great-circle distances between capitals, shape (n_countries, n_countries), km.

        Symmetric with a zero diagonal; built on first access (about 0.5 MB) and cached.
        """
        matrix = haversine_matrix_km(self.country_lat, self.country_lon)
        matrix.setflags(write=False)
        return matrix

    @classmethod
    def from_reference(cls, ref: ReferenceData) -> ReferenceTables:
        """Encode ``ref`` into indexes and arrays.

        Args:
            ref: Loaded reference data.

        Returns:
            The tables; ``modality_relatedness`` is (14, 14), 1 on the diagonal and, elsewhere,
            the larger of the two directions' ``related`` credits (0 if unrelated).
        """
        countries, modalities = ref.countries, ref.modalities
        level_codes = {
            level: tuple(r.code for r in ref.regions if r.level == level)
            for level in ("region", "sub_region", "intermediate_region")
        }
        region_pos = {level: _index(codes) for level, codes in level_codes.items()}
        languages = tuple(lang.code for lang in ref.languages)
        language_pos = _index(languages)
        mask = np.zeros((len(countries), len(languages)), dtype=np.bool_)
        for i, country in enumerate(countries):
            mask[i, [language_pos[code] for code in country.languages]] = True
        category_pos = _index(tuple(c.code for c in ref.sector_categories))
        group_pos = _index(tuple(g.code for g in ref.sector_groups))
        modality_codes = tuple(m.code for m in modalities)
        related = np.eye(len(modalities), dtype=np.float64)
        for i, modality in enumerate(modalities):
            for j, other in enumerate(modality_codes):
                credit = modality.related.get(other, 0.0)
                related[i, j] = related[j, i] = max(related[i, j], related[j, i], credit)
        costs = [m.cost for m in modalities]
        return cls(
            country_codes=tuple(c.alpha3 for c in countries),
            country_index=_index(tuple(c.alpha3 for c in countries)),
            region_codes=level_codes["region"],
            subregion_codes=level_codes["sub_region"],
            intermediate_codes=level_codes["intermediate_region"],
            country_region_idx=_frozen([region_pos["region"][c.region.code] for c in countries], np.int64),
            country_subregion_idx=_frozen(
                [region_pos["sub_region"][c.sub_region.code] for c in countries], np.int64
            ),
            country_intermediate_idx=_frozen(
                [
                    region_pos["intermediate_region"][c.intermediate_region.code]
                    if c.intermediate_region
                    else -1
                    for c in countries
                ],
                np.int64,
            ),
            income_levels=INCOME_LEVELS,
            country_income_idx=_frozen(
                [INCOME_LEVELS.index(c.income_level) if c.income_level else -1 for c in countries], np.int64
            ),
            country_lat=_frozen([c.capital_lat for c in countries], np.float64),
            country_lon=_frozen([c.capital_lon for c in countries], np.float64),
            country_utc_offset_hours=_frozen([c.utc_offset_hours for c in countries], np.float64),
            country_language_mask=_frozen(mask, np.bool_),
            sector_codes=tuple(s.code for s in ref.sectors),
            sector_index=_index(tuple(s.code for s in ref.sectors)),
            category_codes=tuple(category_pos),
            group_codes=tuple(group_pos),
            sector_category_idx=_frozen([category_pos[s.category] for s in ref.sectors], np.int64),
            sector_group_idx=_frozen([group_pos[s.group] for s in ref.sectors], np.int64),
            language_codes=languages,
            language_index=language_pos,
            outcome_codes=tuple(o.code for o in ref.outcomes),
            outcome_index=_index(tuple(o.code for o in ref.outcomes)),
            modality_codes=modality_codes,
            modality_index=_index(modality_codes),
            modality_relatedness=_frozen(related, np.float64),
            travellers=TRAVELLERS,
            modality_travellers_idx=_frozen([TRAVELLERS.index(c.travellers) for c in costs], np.int64),
            modality_international_travel=_frozen([m.international_travel for m in modalities], np.bool_),
            modality_typical_days=_frozen([m.typical_days for m in modalities], np.int64),
            modality_typical_group_size=_frozen([m.typical_group_size for m in modalities], np.int64),
            modality_experts=_frozen([c.experts for c in costs], np.int64),
            modality_fixed_usd=_frozen([c.fixed_usd for c in costs], np.float64),
            modality_per_traveller_per_day_usd=_frozen(
                [c.per_traveller_per_day_usd for c in costs], np.float64
            ),
            modality_per_participant_usd=_frozen([c.per_participant_usd for c in costs], np.float64),
            modality_interpretation_per_day_usd=_frozen(
                [c.interpretation_per_day_usd for c in costs], np.float64
            ),
        )
