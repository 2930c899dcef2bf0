"""The non-cost matching factors, each in [0, 1], vectorised over pairs of demand and supply rows.

Every function takes a demand-side array with ``n_d`` rows and a supply-side array with ``n_s`` rows
where ``n_d == 1``, ``n_s == 1`` or ``n_d == n_s``, and returns one value per pair (length
``max(n_d, n_s)``). Factors of codes (sector, country) are evaluated once for every pair of codes
(a matrix cached per tables and parameters), so the per-pair work is a lookup.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from broker.matching.arrays import BitsArray, FloatArray, IntArray
from broker.matching.tables import CountryTables, SectorTables


@dataclass(frozen=True)
class FactorParams:
    """Levels of the non-cost factors.

    The region levels satisfy ``level >= next lower level + income_same`` so that a closer country
    never scores lower than a farther one, whatever the two income levels.

    Attributes:
        semantic_low: Cosine mapped to 0. all-MiniLM-L6-v2 cosines of unrelated development texts sit
            around 0.0-0.2; 0.1 keeps weak topical overlap slightly above zero.
        semantic_high: Cosine mapped to 1; strongly related texts reach 0.6-0.8.
        sector_code: Same 5-digit DAC code.
        sector_category: Same 3-digit category.
        sector_group: Same sector group.
        sector_unknown: Either side gives no sector (unknown, so neither reward nor penalty).
        region_country: Same country (a domestic scale-up is a legitimate exchange).
        region_local: Same intermediate region, or same sub-region where a side has no intermediate one.
        region_subregion: Same sub-region, different intermediate regions.
        region_region: Same region.
        region_other: Different regions.
        region_unknown: A country is unknown.
        income_same: Credit for the same income level (peers facing similar constraints).
        income_adjacent: Credit for neighbouring income levels.
        language_shared: At least one shared working language.
        language_none: No shared language: interpretation needed.
    """

    semantic_low: float = 0.1
    semantic_high: float = 0.8
    sector_code: float = 1.0
    sector_category: float = 0.6
    sector_group: float = 0.3
    sector_unknown: float = 0.5
    region_country: float = 1.0
    region_local: float = 0.85
    region_subregion: float = 0.7
    region_region: float = 0.55
    region_other: float = 0.25
    region_unknown: float = 0.5
    income_same: float = 0.15
    income_adjacent: float = 0.07
    language_shared: float = 1.0
    language_none: float = 0.3

    def __post_init__(self) -> None:
        if not -1.0 <= self.semantic_low < self.semantic_high <= 1.0:
            raise ValueError("need -1 <= semantic_low < semantic_high <= 1")
        levels = (self.region_country, self.region_local, self.region_subregion)
        lower = (self.region_local, self.region_subregion, self.region_region, self.region_other)
        if not 0 <= self.income_adjacent <= self.income_same:
            raise ValueError("need 0 <= income_adjacent <= income_same")
        gaps = (hi - lo for hi, lo in zip((*levels, self.region_region), lower, strict=True))
        if any(gap < self.income_same - 1e-12 for gap in gaps):
            raise ValueError("each region level must exceed the next lower level by at least income_same")
        values = (*levels, *lower, self.region_unknown, self.sector_unknown, self.language_none)
        if not all(0 <= v <= 1 for v in values):
            raise ValueError("factor levels must lie in [0, 1]")
        if not 0 <= self.sector_group <= self.sector_category <= self.sector_code <= 1:
            raise ValueError("need 0 <= sector_group <= sector_category <= sector_code <= 1")
        if not 0 <= self.language_none <= self.language_shared <= 1:
            raise ValueError("need 0 <= language_none <= language_shared <= 1")


def pair_count(n_demand: int, n_supply: int) -> int:
    """Number of pairs scored for the two side lengths.

    Args:
        n_demand: Demand rows.
        n_supply: Supply rows.

    Returns:
        The broadcast length: the other side's when one side has one row (so 1 with 0 is 0).

    Raises:
        ValueError: Neither side has one row and the lengths differ.
    """
    if n_demand != 1 and n_supply != 1 and n_demand != n_supply:
        raise ValueError(f"cannot pair {n_demand} demand rows with {n_supply} supply rows")
    return n_supply if n_demand == 1 else n_demand


def cosine_similarity(demand: NDArray[np.floating[Any]], supply: NDArray[np.floating[Any]]) -> FloatArray:
    """Cosine of each pair of unit-norm embeddings.

    Args:
        demand: (n_d, dim) L2-normalised rows.
        supply: (n_s, dim) L2-normalised rows.

    Returns:
        (n,) float64 in [-1, 1] (computed in the supply array's precision).
    """
    pair_count(len(demand), len(supply))
    # einsum's own SIMD loop rather than BLAS gemv: as fast single-threaded (the scan is bound by
    # memory bandwidth) and free of BLAS thread wake-up stalls on a busy machine.
    if len(demand) == 1:
        dots = np.einsum("ij,j->i", supply, demand[0].astype(supply.dtype, copy=False))
    elif len(supply) == 1:
        dots = np.einsum("ij,j->i", demand, supply[0].astype(demand.dtype, copy=False))
    else:
        dots = np.einsum("ij,ij->i", demand, supply)
    return np.asarray(dots, dtype=np.float64)


def semantic_fit(cosine: FloatArray, params: FactorParams) -> FloatArray:
    """Rescale cosines linearly so that ``semantic_low`` maps to 0 and ``semantic_high`` to 1, clipped.

    Args:
        cosine: (n,) cosines in [-1, 1].
        params: Factor levels.

    Returns:
        (n,) float64 in [0, 1], non-decreasing in the cosine.
    """
    scaled = (cosine - params.semantic_low) / (params.semantic_high - params.semantic_low)
    return np.clip(scaled, 0.0, 1.0)


@lru_cache(maxsize=16)
def _pair_matrix(
    value: Callable[[IntArray, IntArray, Any, FactorParams], FloatArray],
    tables: SectorTables | CountryTables,
    params: FactorParams,
    n_codes: int,
) -> FloatArray:
    """``value`` for every pair of codes, computed once per (tables, params); row and column ``n_codes``
    (reached by index -1) stand for a missing code."""
    domain = np.append(np.arange(n_codes, dtype=np.intp), -1)
    matrix = value(domain[:, None], domain[None, :], tables, params)
    matrix.setflags(write=False)
    return matrix


def _sector_level(a: IntArray, b: IntArray, tables: SectorTables, params: FactorParams) -> FloatArray:
    """Hierarchical credit of each (broadcast) pair of sector codes; -1 where a code is missing."""
    cat, grp = tables.category_of, tables.group_of
    cat_a, cat_b, grp_a, grp_b = cat[a], cat[b], grp[a], grp[b]
    value = np.where(a == b, params.sector_code, 0.0)
    value = np.where((value == 0) & (cat_a == cat_b) & (cat_a >= 0), params.sector_category, value)
    value = np.where((value == 0) & (grp_a == grp_b) & (grp_a >= 0), params.sector_group, value)
    return np.where((a >= 0) & (b >= 0), value, -1.0)


def sector_fit(demand: IntArray, supply: IntArray, tables: SectorTables, params: FactorParams) -> FloatArray:
    """Best hierarchical DAC overlap over all pairs of the two sides' sectors.

    Same 5-digit code scores ``sector_code`` (1.0), same 3-digit category ``sector_category`` (0.6),
    same sector group ``sector_group`` (0.3), else 0. When either side lists no sector the value is
    the neutral ``sector_unknown`` (0.5).

    Args:
        demand: (n_d, k_d) intp sector indexes padded with -1.
        supply: (n_s, k_s) intp sector indexes padded with -1.
        tables: Category and group of every sector index.
        params: Factor levels.

    Returns:
        (n,) float64 in [0, 1].
    """
    matrix = _pair_matrix(_sector_level, tables, params, tables.n_sectors)
    if len(demand) == 1 or len(supply) == 1:
        one, many = (demand[0], supply) if len(demand) == 1 else (supply[0], demand)
        table = matrix[one].max(axis=0)  # best level of each sector code against the single side
        best = table[many[:, 0]]
        for column in range(1, many.shape[1]):  # column-wise: a max over a short axis 1 is slow
            best = np.maximum(best, table[many[:, column]])
    else:
        pair_count(len(demand), len(supply))
        best = matrix[demand[:, :, None], supply[:, None, :]].max(axis=(1, 2))
    fit: FloatArray = np.maximum(best, 0.0) + (best < 0) * params.sector_unknown  # -1: a side has none
    return fit


def _region_value(a: IntArray, b: IntArray, tables: CountryTables, params: FactorParams) -> FloatArray:
    """Geographic level plus income credit of each (broadcast) pair of country codes."""
    inter_a, inter_b = tables.intermediate_of[a], tables.intermediate_of[b]
    sub_a, sub_b = tables.subregion_of[a], tables.subregion_of[b]
    region_a, region_b = tables.region_of[a], tables.region_of[b]
    same_sub = (sub_a >= 0) & (sub_a == sub_b)
    local = ((inter_a >= 0) & (inter_a == inter_b)) | (same_sub & ((inter_a < 0) | (inter_b < 0)))
    base = np.select(
        [a == b, local, same_sub, (region_a >= 0) & (region_a == region_b)],
        [params.region_country, params.region_local, params.region_subregion, params.region_region],
        params.region_other,
    )
    inc_a, inc_b = tables.income_of[a], tables.income_of[b]
    known = (inc_a >= 0) & (inc_b >= 0)
    gap = np.abs(inc_a - inc_b)
    bonus = np.where(
        known & (gap == 0), params.income_same, np.where(known & (gap == 1), params.income_adjacent, 0)
    )
    return np.where((a >= 0) & (b >= 0), np.minimum(base + bonus, 1.0), params.region_unknown)


def region_fit(demand: IntArray, supply: IntArray, tables: CountryTables, params: FactorParams) -> FloatArray:
    """Geographic closeness of the two institutions' countries plus a peer credit for income levels.

    Levels (defaults): same country 1.0; same intermediate region (or same sub-region where one has
    none) 0.85; same sub-region 0.7; same region 0.55; else 0.25; plus 0.15 for the same income level
    or 0.07 for adjacent ones, capped at 1. An unknown country gives the neutral 0.5.

    Args:
        demand: (n_d,) intp country indexes, -1 unknown.
        supply: (n_s,) intp country indexes, -1 unknown.
        tables: Region, sub-region, intermediate region and income of every country.
        params: Factor levels.

    Returns:
        (n,) float64 in [0, 1].
    """
    pair_count(len(demand), len(supply))
    matrix = _pair_matrix(_region_value, tables, params, tables.n_countries)
    if len(demand) == 1:
        fit: FloatArray = matrix[demand[0]][supply]
        return fit
    return matrix[demand, supply[0]] if len(supply) == 1 else matrix[demand, supply]


def shares_language(demand: BitsArray, supply: BitsArray) -> NDArray[np.bool_]:
    """Whether each pair has at least one working language in common.

    Args:
        demand: (n_d, w) uint64 language bitsets.
        supply: (n_s, w) uint64 language bitsets.

    Returns:
        (n,) bool.
    """
    n = pair_count(len(demand), len(supply))
    if len(demand) == 1:  # read only the words where the request has languages
        words = [(word, demand[0, word]) for word in range(demand.shape[1]) if demand[0, word]]
        common = np.zeros(n, dtype=supply.dtype)
        for word, bits in words:
            common |= supply[:, word] & bits
        return np.asarray(common != 0)
    common = demand[:, 0] & supply[:, 0]
    for word in range(1, demand.shape[1]):
        common |= demand[:, word] & supply[:, word]
    return np.asarray(common != 0)


def language_fit(shared: NDArray[np.bool_], params: FactorParams) -> FloatArray:
    """Language factor from the shared-language flags.

    Args:
        shared: (n,) bool.
        params: Factor levels.

    Returns:
        (n,) float64: ``language_shared`` (1.0) or ``language_none`` (0.3).
    """
    levels = np.array([params.language_none, params.language_shared])
    return levels[shared.view(np.uint8)]
