"""Reasons for a ranked match, as data: a stable code and parameters per reason.

``match_evidence`` extracts, for one scored pair, which sector pair matched at which level, how the
countries relate, which modality was chosen and why, the shared languages and the cost (all as
indexes); ``explain_match`` turns that evidence into ``Reason`` values whose parameters are the
reference codes the caller supplies in ``CodeTables`` (ISO country and language codes, DAC sector
codes, M49 region codes, modality codes) and plain numbers. Sentences in a language are rendered
from these outside the core (``broker.i18n``), so a stored reason can be shown in any locale.
The track record's reason says how many completed exchanges the provider has on the request's
topic (else elsewhere) and how receivers rated them, or that it has none yet (neutral).
``cost_breakdown`` splits a pair's estimated cost into the parts of the cost model.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from broker.matching.arrays import N_MODALITIES, DemandArrays, SupplyArrays
from broker.matching.cost import CostParams, estimate_exchange_cost, exchange_cost_parts, pair_distance_km
from broker.matching.results import SEMANTIC, TRACK_RECORD, ScoredCandidates
from broker.matching.tables import MatchTables
from broker.matching.track_record import COMPLETED, NEUTRAL, mean_rating

ReasonParam = str | int | float | list[str]


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
        replaced: A preferred modality the offer does offer but the choice passed over (because the
            chosen one scores better on cost), the one most related to the chosen; None otherwise.
        replaced_cost_usd: Estimated cost of the pair in ``replaced`` (USD), or None.
        track_record: The track-record factor in [0, 1] (``NEUTRAL`` without a record).
        topic_completed: The provider's completed exchanges on the request's topic.
        completed: The provider's completed exchanges on every topic.
        topic_rating: Mean receiver rating (1-5) of the exchanges on the topic, None if unrated.
        rating: Mean receiver rating (1-5) of all the provider's exchanges, None if unrated.
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
    replaced: int | None = None
    replaced_cost_usd: float | None = None
    track_record: float = NEUTRAL
    topic_completed: int = 0
    completed: int = 0
    topic_rating: float | None = None
    rating: float | None = None


@dataclass(frozen=True)
class CodeTables:
    """Reference codes by index, in the same code order as the matching arrays and tables.

    ``sectors`` are 5-digit DAC codes ("12250"), ``categories`` and ``groups`` 3-digit ones,
    ``countries`` ISO 3166-1 alpha-3 codes, ``regions``, ``subregions`` and ``intermediate_regions``
    UN M49 codes ("014"), ``income_levels`` the four World Bank level codes ("low" .. "high"),
    ``modalities`` the 14 modality codes ("study_tour") and ``languages`` ISO 639-1 codes.
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
    demand: DemandArrays,
    supply: SupplyArrays,
    scored: ScoredCandidates,
    position: int,
    tables: MatchTables,
    cost_params: CostParams | None = None,
) -> MatchEvidence:
    """Collect the evidence of one scored pair.

    Args:
        demand: The demand side that was scored.
        supply: The supply side that was scored.
        scored: Their scores.
        position: The pair's position in ``scored`` (a row of the longer side).
        tables: Lookup tables.
        cost_params: The cost constants the scoring used (default ``CostParams()``), to price a
            preferred modality the choice passed over.

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
    offered = int(supply.modalities[s])
    passed_over = [p for p in preferred if offered >> p & 1 and p != modality]
    replaced = max(passed_over, key=lambda p: (credit[p], -p), default=None) if passed_over else None
    replaced_cost = None
    if replaced is not None and modality not in preferred:
        params = cost_params or CostParams()
        distance = pair_distance_km(
            demand.country[d : d + 1], supply.country[s : s + 1], tables.countries, params
        )
        replaced_cost = float(
            estimate_exchange_cost(
                np.array([replaced]),
                participants=demand.participants[d : d + 1],
                distance_km=distance,
                shared_language=bool((demand.languages[d] & supply.languages[s]).any()),
                cost_usd=supply.cost_usd[s : s + 1],
                modalities=tables.modalities,
                params=params,
            )[0]
        )
    else:
        replaced = None
    records = scored.records
    topic, overall = records.topic[position : position + 1], records.overall[position : position + 1]
    topic_rating, rating = float(mean_rating(topic)[0]), float(mean_rating(overall)[0])
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
        replaced=replaced,
        replaced_cost_usd=replaced_cost,
        track_record=float(scored.components[TRACK_RECORD, position]),
        topic_completed=round(float(topic[0, COMPLETED])),
        completed=round(float(overall[0, COMPLETED])),
        topic_rating=None if math.isnan(topic_rating) else topic_rating,
        rating=None if math.isnan(rating) else rating,
    )


@dataclass(frozen=True)
class Reason:
    """One reason for a match: a stable machine-readable code and its parameters.

    Attributes:
        code: Dotted code, e.g. "sector.same_code", "language.shared", "modality.substituted".
        params: Reference codes (str or list of str) and numbers the sentence is built from, e.g.
            {"sector": "12250"} or {"cost_usd": 17885.0, "budget_usd": 25000.0}; JSON-serialisable.
    """

    code: str
    params: Mapping[str, ReasonParam]

    def as_json(self) -> dict[str, object]:
        """The form stored with a match and returned by the API."""
        return {"code": self.code, "params": dict(self.params)}


def _sector_reason(e: MatchEvidence, codes: CodeTables) -> Reason | None:
    if e.sector_pair is None:
        return None
    if e.sector_level == SectorLevel.CODE:
        return Reason("sector.same_code", {"sector": codes.sectors[e.sector_area]})
    if e.sector_level == SectorLevel.CATEGORY:
        return Reason("sector.same_category", {"category": codes.categories[e.sector_area]})
    if e.sector_level == SectorLevel.GROUP:
        return Reason("sector.same_group", {"group": codes.groups[e.sector_area]})
    return Reason("sector.different", {"sector": codes.sectors[e.sector_pair[1]]})


def _region_reasons(e: MatchEvidence, codes: CodeTables) -> list[Reason]:
    level = e.region_level
    if level == RegionLevel.UNKNOWN:
        return []
    if level == RegionLevel.COUNTRY:
        return [Reason("region.same_country", {"country": codes.countries[e.shared_area]})]
    if level == RegionLevel.LOCAL:
        area = (codes.intermediate_regions if e.intermediate_area else codes.subregions)[e.shared_area]
        reasons = [Reason("region.same_subregion", {"region": area})]
    elif level == RegionLevel.SUBREGION:
        reasons = [Reason("region.same_subregion", {"region": codes.subregions[e.shared_area]})]
    elif level == RegionLevel.REGION:
        reasons = [Reason("region.same_region", {"region": codes.regions[e.shared_area]})]
    else:
        countries = {"supply_country": codes.countries[e.supply_country]}
        reasons = [
            Reason("region.different", countries | {"demand_country": codes.countries[e.demand_country]})
        ]
    if e.income_gap == 0:
        reasons.append(Reason("income.same", {"income": codes.income_levels[e.demand_income]}))
    elif e.income_gap == 1:
        reasons.append(Reason("income.neighbouring", {}))
    return reasons


def modality_reason(e: MatchEvidence, codes: CodeTables) -> Reason:
    """Why the pair's modality was chosen.

    Args:
        e: The pair's evidence.
        codes: Reference codes.

    Returns:
        One of ``modality.proposed`` (no preference), ``modality.preferred``, ``modality.substituted``
        (a related modality replaced an offered preferred one: ``saving_usd`` says by how much it is
        cheaper), ``modality.substituted_unrelated`` (same, but not related), ``modality.related``
        (the offer has no preferred modality; the chosen one is related to ``requested``) or
        ``modality.outside`` (nothing preferred is offered or related).
    """
    chosen = codes.modalities[e.modality]
    if not e.preferred:
        return Reason("modality.proposed", {"modality": chosen})
    if e.modality in e.preferred:
        return Reason("modality.preferred", {"modality": chosen})
    if e.replaced is not None and e.replaced_cost_usd is not None:
        related = float(e.related_to is not None and e.related_to == e.replaced)
        params: dict[str, ReasonParam] = {
            "modality": chosen,
            "requested": codes.modalities[e.replaced],
            "saving_usd": max(0.0, e.replaced_cost_usd - e.estimated_cost_usd),
        }
        return Reason("modality.substituted" if related else "modality.substituted_unrelated", params)
    if e.related_to is None:
        return Reason("modality.outside", {"modality": chosen})
    return Reason("modality.related", {"modality": chosen, "requested": codes.modalities[e.related_to]})


def track_record_reason(e: MatchEvidence) -> Reason:
    """What the provider's record is, as the track-record factor read it.

    Args:
        e: The pair's evidence.

    Returns:
        ``track_record.topic`` (``count`` completed exchanges on the request's topic, rated
        ``rating``/5 by receivers), ``track_record.topic_unrated``, ``track_record.elsewhere`` (none on
        the topic, ``count`` on others), ``track_record.elsewhere_unrated`` or ``track_record.none``
        (no completed exchange: neutral); every one with the factor's ``value``.
    """
    value = round(e.track_record, 4)
    if e.topic_completed > 0:
        if e.topic_rating is None:
            return Reason("track_record.topic_unrated", {"count": e.topic_completed, "value": value})
        rating = round(e.topic_rating, 1)
        return Reason("track_record.topic", {"count": e.topic_completed, "rating": rating, "value": value})
    if e.completed > 0:
        if e.rating is None:
            return Reason("track_record.elsewhere_unrated", {"count": e.completed, "value": value})
        rating = round(e.rating, 1)
        return Reason("track_record.elsewhere", {"count": e.completed, "rating": rating, "value": value})
    return Reason("track_record.none", {"value": value})


def explain_match(evidence: MatchEvidence, codes: CodeTables) -> list[Reason]:
    """Reasons for a match: one per factor (two for region and income), in factor order.

    Args:
        evidence: From ``match_evidence``.
        codes: Reference codes of the indexes in the evidence.

    Returns:
        Five to nine reasons, e.g. [Reason("semantic.close", {"score": 0.82}),
        Reason("sector.same_code", {"sector": "12250"}), Reason("region.same_subregion",
        {"region": "014"}), ...].
    """
    e = evidence
    fit = "close" if e.semantic >= 0.6 else "partial" if e.semantic >= 0.3 else "weak"
    reasons = [Reason(f"semantic.{fit}", {"score": round(e.semantic, 4)})]
    sector = _sector_reason(e, codes)
    reasons += [sector] if sector else []
    reasons += _region_reasons(e, codes)
    reasons.append(modality_reason(e, codes))
    if e.shared_languages:
        shared = [codes.languages[i] for i in e.shared_languages]
        reasons.append(Reason("language.shared", {"languages": shared}))
    else:
        reasons.append(Reason("language.none", {}))
    cost: dict[str, ReasonParam] = {"cost_usd": e.estimated_cost_usd}
    if e.budget_usd is None:
        reasons.append(Reason("cost.estimate", cost))
    else:
        verdict = "within_budget" if e.estimated_cost_usd <= e.budget_usd else "over_budget"
        reasons.append(Reason(f"cost.{verdict}", cost | {"budget_usd": e.budget_usd}))
    reasons.append(track_record_reason(e))
    return reasons


@dataclass(frozen=True)
class CostBreakdown:
    """A pair's estimated cost split into the parts of the cost model (``broker.matching.cost``).

    Attributes:
        fixed_usd: The modality's fixed cost, or the offer's own stated delivery cost.
        participants_usd: Per-participant costs (0 when the offer states its cost).
        travel_usd: Airfare and daily costs of whoever travels.
        interpretation_usd: Interpretation when the sides share no working language.
        total_usd: The sum of the four, equal to the estimate used in scoring.
        modality: Index of the modality the estimate assumes.
        modality_reason: Code of the reason that modality was chosen (see ``modality_reason``).
    """

    fixed_usd: float
    participants_usd: float
    travel_usd: float
    interpretation_usd: float
    total_usd: float
    modality: int
    modality_reason: str


def _pair_cost(
    demand: DemandArrays,
    supply: SupplyArrays,
    d: int,
    s: int,
    modality: int,
    tables: MatchTables,
    params: CostParams,
) -> tuple[float, float, float, float]:
    distance = pair_distance_km(
        demand.country[d : d + 1], supply.country[s : s + 1], tables.countries, params
    )
    shared = bool((demand.languages[d] & supply.languages[s]).any())
    parts = exchange_cost_parts(
        np.array([modality]),
        participants=demand.participants[d : d + 1],
        distance_km=distance,
        shared_language=shared,
        cost_usd=supply.cost_usd[s : s + 1],
        modalities=tables.modalities,
        params=params,
    )
    return (
        float(parts.fixed_usd[0]),
        float(parts.participants_usd[0]),
        float(parts.travel_usd[0]),
        float(parts.interpretation_usd[0]),
    )


def cost_breakdown(
    demand: DemandArrays,
    supply: SupplyArrays,
    scored: ScoredCandidates,
    position: int,
    tables: MatchTables,
    codes: CodeTables,
    params: CostParams | None = None,
    *,
    evidence: MatchEvidence | None = None,
) -> CostBreakdown:
    """The parts of one scored pair's estimated cost, in the modality the scoring chose.

    Args:
        demand: The demand side that was scored.
        supply: The supply side that was scored.
        scored: Their scores.
        position: The pair's position in ``scored``.
        tables: Lookup tables.
        codes: Reference codes (for the modality reason).
        params: The cost constants the scoring used (default ``CostParams()``).
        evidence: The pair's ``match_evidence`` when the caller has it (computed here otherwise).

    Returns:
        The breakdown; its parts sum to ``scored.estimated_cost_usd[position]`` (up to rounding).
    """
    params = params or CostParams()
    d = 0 if len(demand) == 1 else position
    s = 0 if len(supply) == 1 else position
    modality = int(scored.modality[position])
    fixed, people, travel, interpretation = _pair_cost(demand, supply, d, s, modality, tables, params)
    if evidence is None:
        evidence = match_evidence(demand, supply, scored, position, tables, params)
    return CostBreakdown(
        fixed_usd=fixed,
        participants_usd=people,
        travel_usd=travel,
        interpretation_usd=interpretation,
        total_usd=fixed + people + travel + interpretation,
        modality=modality,
        modality_reason=modality_reason(evidence, codes).code,
    )
