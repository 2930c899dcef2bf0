"""Short human-readable reasons for a ranked match.

``match_evidence`` extracts, for one scored pair, which sector pair matched at which level, how the
countries relate, which modality was chosen and why, the shared languages and the cost (all as codes);
``explain_match`` turns that evidence into sentences using the names the caller supplies in
``NameTables`` (filled once from the reference lists).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from broker.matching.arrays import N_MODALITIES, DemandArrays, SupplyArrays
from broker.matching.results import SEMANTIC, ScoredCandidates
from broker.matching.tables import MatchTables


class SectorLevel(IntEnum):
    """Closest level at which the two sides' sectors meet."""

    UNKNOWN = -1
    NONE = 0
    GROUP = 1
    CATEGORY = 2
    CODE = 3


class RegionLevel(IntEnum):
    """Smallest geographic area the two countries share."""

    UNKNOWN = -1
    OTHER = 0
    REGION = 1
    SUBREGION = 2
    LOCAL = 3  # same intermediate region, or same sub-region where one side has no intermediate one
    COUNTRY = 4


@dataclass(frozen=True)
class MatchEvidence:
    """What one pair has in common, as codes (see ``NameTables`` for the names).

    Attributes:
        semantic: Semantic factor in [0, 1].
        sector_level: Level of the best sector pair.
        sector_pair: (demand sector, supply sector) indexes of that pair, or None.
        sector_area: The shared sector (CODE), category (CATEGORY) or group (GROUP) index, else -1.
        region_level: Smallest shared area.
        shared_area: Index of that area in the list named by ``region_level`` (``intermediate_area``
            tells which list for LOCAL), or the country index for COUNTRY; -1 otherwise.
        intermediate_area: Whether a LOCAL ``shared_area`` is an intermediate region (else sub-region).
        demand_country: Demand country index, -1 unknown.
        supply_country: Supply country index, -1 unknown.
        income_gap: Absolute difference of the two income levels (0 same, 1 adjacent), -1 unknown.
        demand_income: Demand income level 0..3, -1 unknown.
        modality: Chosen modality index.
        preferred: The request's preferred modality indexes (empty = no preference).
        related_to: Preferred modality the chosen one is most related to (None if it is preferred
            itself or unrelated to all preferred ones).
        shared_languages: Language indexes both sides work in.
        estimated_cost_usd: Estimated exchange cost in USD.
        budget_usd: The request's budget in USD, or None.
    """

    semantic: float
    sector_level: SectorLevel
    sector_pair: tuple[int, int] | None
    sector_area: int
    region_level: RegionLevel
    shared_area: int
    intermediate_area: bool
    demand_country: int
    supply_country: int
    income_gap: int
    demand_income: int
    modality: int
    preferred: tuple[int, ...]
    related_to: int | None
    shared_languages: tuple[int, ...]
    estimated_cost_usd: float
    budget_usd: float | None


@dataclass(frozen=True)
class NameTables:
    """Display names by index, in the same code order as the matching arrays and tables.

    ``sectors`` are 5-digit sector names ("STD control including HIV/AIDS"), ``income_levels`` the
    four World Bank levels ("Low" .. "High", " income" is appended), ``modalities`` the 14 names in
    lower case ("study tour"); the other fields hold the names of their code lists.
    """

    sectors: Sequence[str]
    categories: Sequence[str]
    groups: Sequence[str]
    countries: Sequence[str]
    regions: Sequence[str]
    subregions: Sequence[str]
    intermediate_regions: Sequence[str]
    income_levels: Sequence[str]
    modalities: Sequence[str]
    languages: Sequence[str]


def _best_sector_pair(
    demand: list[int], supply: list[int], tables: MatchTables
) -> tuple[SectorLevel, tuple[int, int] | None, int]:
    cat, grp = tables.sectors.category_of, tables.sectors.group_of
    best: tuple[SectorLevel, tuple[int, int] | None, int] = (SectorLevel.UNKNOWN, None, -1)
    for a in (s for s in demand if s >= 0):
        for b in (s for s in supply if s >= 0):
            level, area = SectorLevel.NONE, -1
            if a == b:
                level, area = SectorLevel.CODE, a
            elif cat[a] >= 0 and cat[a] == cat[b]:
                level, area = SectorLevel.CATEGORY, int(cat[a])
            elif grp[a] >= 0 and grp[a] == grp[b]:
                level, area = SectorLevel.GROUP, int(grp[a])
            if level > best[0]:
                best = (level, (a, b), area)
    return best


def _region(a: int, b: int, tables: MatchTables) -> tuple[RegionLevel, int, bool]:
    t = tables.countries
    if a < 0 or b < 0:
        return RegionLevel.UNKNOWN, -1, False
    if a == b:
        return RegionLevel.COUNTRY, a, False
    inter_a, inter_b, sub_a, sub_b = (
        t.intermediate_of[a],
        t.intermediate_of[b],
        t.subregion_of[a],
        t.subregion_of[b],
    )
    if inter_a >= 0 and inter_a == inter_b:
        return RegionLevel.LOCAL, int(inter_a), True
    if sub_a >= 0 and sub_a == sub_b:
        local = inter_a < 0 or inter_b < 0
        return (RegionLevel.LOCAL if local else RegionLevel.SUBREGION), int(sub_a), False
    if t.region_of[a] >= 0 and t.region_of[a] == t.region_of[b]:
        return RegionLevel.REGION, int(t.region_of[a]), False
    return RegionLevel.OTHER, -1, False


def _bits(words: NDArray[np.uint64]) -> tuple[int, ...]:
    return tuple(
        64 * w + bit for w, word in enumerate(words.tolist()) for bit in range(64) if word >> bit & 1
    )


def match_evidence(
    demand: DemandArrays, supply: SupplyArrays, scored: ScoredCandidates, position: int, tables: MatchTables
) -> MatchEvidence:
    """Collect the evidence of one scored pair.

    Args:
        demand: The demand side that was scored.
        supply: The supply side that was scored.
        scored: Their scores.
        position: The pair's position in ``scored`` (a row of the longer side).
        tables: Lookup tables.

    Returns:
        The pair's evidence.
    """
    d = 0 if len(demand) == 1 else position
    s = 0 if len(supply) == 1 else position
    level, pair, sector_area = _best_sector_pair(
        demand.sectors[d].tolist(), supply.sectors[s].tolist(), tables
    )
    a, b = int(demand.country[d]), int(supply.country[s])
    region_level, area, intermediate = _region(a, b, tables)
    income = tables.countries.income_of
    known = a >= 0 and b >= 0 and income[a] >= 0 and income[b] >= 0
    modality = int(scored.modality[position])
    preferred = tuple(m for m in range(N_MODALITIES) if int(demand.modalities[d]) >> m & 1)
    credit = {p: float(tables.modalities.relatedness[p, modality]) for p in preferred if p != modality}
    closest = max(credit, key=credit.__getitem__, default=None)
    related_to = (
        closest if modality not in preferred and closest is not None and credit[closest] > 0 else None
    )
    budget = float(demand.budget_usd[d])
    return MatchEvidence(
        semantic=float(scored.components[SEMANTIC, position]),
        sector_level=level,
        sector_pair=pair,
        sector_area=sector_area,
        region_level=region_level,
        shared_area=area,
        intermediate_area=intermediate,
        demand_country=a,
        supply_country=b,
        income_gap=abs(int(income[a]) - int(income[b])) if known else -1,
        demand_income=int(income[a]) if a >= 0 else -1,
        modality=modality,
        preferred=preferred,
        related_to=related_to,
        shared_languages=_bits(demand.languages[d] & supply.languages[s]),
        estimated_cost_usd=float(scored.estimated_cost_usd[position]),
        budget_usd=None if math.isnan(budget) else budget,
    )


def _usd(amount: float) -> str:
    return f"USD {round(amount, -2 if amount >= 1_000 else -1):,.0f}"


def _sector_reason(e: MatchEvidence, names: NameTables) -> str | None:
    if e.sector_pair is None:
        return None
    if e.sector_level == SectorLevel.CODE:
        return f"Same sector: {names.sectors[e.sector_area]}"
    if e.sector_level == SectorLevel.CATEGORY:
        return f"Same sector category: {names.categories[e.sector_area]}"
    if e.sector_level == SectorLevel.GROUP:
        return f"Same sector group: {names.groups[e.sector_area]}"
    return f"Different sector: {names.sectors[e.sector_pair[1]]}"


def _region_reasons(e: MatchEvidence, names: NameTables) -> list[str]:
    level = e.region_level
    if level == RegionLevel.UNKNOWN:
        return []
    if level == RegionLevel.COUNTRY:
        return [f"Same country: {names.countries[e.shared_area]} (domestic scale-up)"]
    if level == RegionLevel.LOCAL:
        area = (names.intermediate_regions if e.intermediate_area else names.subregions)[e.shared_area]
        reasons = [f"Same sub-region: {area}"]
    elif level == RegionLevel.SUBREGION:
        reasons = [f"Same sub-region: {names.subregions[e.shared_area]}"]
    elif level == RegionLevel.REGION:
        reasons = [f"Same region: {names.regions[e.shared_area]}"]
    else:
        reasons = [
            f"Different regions: {names.countries[e.supply_country]} and {names.countries[e.demand_country]}"
        ]
    if e.income_gap == 0:
        reasons.append(f"Peers at the same income level ({names.income_levels[e.demand_income]} income)")
    elif e.income_gap == 1:
        reasons.append("Peers at a neighbouring income level")
    return reasons


def _modality_reason(e: MatchEvidence, names: NameTables) -> str:
    chosen = names.modalities[e.modality]
    if not e.preferred:
        return f"Proposed modality: {chosen}"
    if e.modality in e.preferred:
        return f"Offers your preferred modality: {chosen}"
    if e.related_to is None:
        return f"Modality outside your preferences: {chosen}"
    return f"Related modality: {chosen} for {names.modalities[e.related_to]}"


def explain_match(evidence: MatchEvidence, names: NameTables) -> list[str]:
    """Reasons for a match: one short sentence per factor (two for region and income), in factor order.

    Args:
        evidence: From ``match_evidence``.
        names: Display names.

    Returns:
        Four to eight sentences, e.g. ["Close semantic fit (0.82)", "Same sector: STD control including
        HIV/AIDS", "Same sub-region: Eastern Africa", ...].
    """
    e = evidence
    fit = "Close" if e.semantic >= 0.6 else "Partial" if e.semantic >= 0.3 else "Weak"
    reasons = [f"{fit} semantic fit ({e.semantic:.2f})"]
    sector = _sector_reason(e, names)
    reasons += [sector] if sector else []
    reasons += _region_reasons(e, names)
    reasons.append(_modality_reason(e, names))
    if e.shared_languages:
        reasons.append(
            f"Shared working language: {', '.join(names.languages[i] for i in e.shared_languages[:2])}"
        )
    else:
        reasons.append("No shared working language: interpretation needed")
    cost = f"Estimated cost {_usd(e.estimated_cost_usd)}"
    if e.budget_usd is None:
        reasons.append(cost)
    else:
        verdict = "within" if e.estimated_cost_usd <= e.budget_usd else "exceeds"
        reasons.append(f"{cost} {verdict} budget {_usd(e.budget_usd)}")
    return reasons
