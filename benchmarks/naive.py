"""Naive baseline: the matching rules written independently, one pair at a time, in plain Python.

It shares no code with ``broker.matching`` beyond the input dataclasses and parameter defaults, so
agreement between the two (within 1e-9) checks the vectorised implementation, and timing it shows
what the vectorisation buys.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import NDArray

from broker.matching.arrays import N_MODALITIES, DemandArrays, SupplyArrays
from broker.matching.cost import CostParams
from broker.matching.factors import FactorParams
from broker.matching.scoring import Weights
from broker.matching.tables import MatchTables


@dataclass(frozen=True)
class NaivePair:
    """Score of one pair and its parts."""

    score: float
    components: tuple[float, float, float, float, float, float, float]
    cost_usd: float
    modality: int


def _codes(row: NDArray[np.integer]) -> list[int]:
    return [int(c) for c in row.tolist() if c >= 0]


def _bits(words: NDArray[np.uint64]) -> set[int]:
    return {64 * w + b for w, word in enumerate(words.tolist()) for b in range(64) if (word >> b) & 1}


def _sector(d: list[int], s: list[int], t: MatchTables, p: FactorParams) -> float:
    if not d or not s:
        return p.sector_unknown
    best = 0.0
    cat, grp = t.sectors.category_of.tolist(), t.sectors.group_of.tolist()
    for a in d:
        for b in s:
            if a == b:
                best = max(best, p.sector_code)
            elif cat[a] >= 0 and cat[a] == cat[b]:
                best = max(best, p.sector_category)
            elif grp[a] >= 0 and grp[a] == grp[b]:
                best = max(best, p.sector_group)
    return best


def _region(a: int, b: int, t: MatchTables, p: FactorParams) -> float:
    if a < 0 or b < 0:
        return p.region_unknown
    c = t.countries
    inter_a, inter_b = int(c.intermediate_of[a]), int(c.intermediate_of[b])
    sub_a, sub_b = int(c.subregion_of[a]), int(c.subregion_of[b])
    if a == b:
        base = p.region_country
    elif inter_a >= 0 and inter_a == inter_b:
        base = p.region_local
    elif sub_a >= 0 and sub_a == sub_b:
        base = p.region_local if (inter_a < 0 or inter_b < 0) else p.region_subregion
    elif c.region_of[a] >= 0 and c.region_of[a] == c.region_of[b]:
        base = p.region_region
    else:
        base = p.region_other
    inc_a, inc_b = int(c.income_of[a]), int(c.income_of[b])
    bonus = 0.0
    if inc_a >= 0 and inc_b >= 0:
        bonus = p.income_same if inc_a == inc_b else p.income_adjacent if abs(inc_a - inc_b) == 1 else 0.0
    return min(1.0, base + bonus)


def naive_cost(
    m: int, people: float, km: float, shared: bool, stated: float, t: MatchTables, cp: CostParams
) -> float:
    """Estimated exchange cost of modality m, spelled out."""
    mt = t.modalities
    if math.isnan(people):
        people = float(mt.typical_group_size[m])
    code = int(mt.travellers[m])
    days = float(mt.typical_days[m])
    ticket = cp.airfare_base_usd + cp.airfare_per_km_usd * km
    per_traveller = ticket + float(mt.per_traveller_per_day_usd[m]) * days
    interpretation = 0.0 if shared else float(mt.interpretation_per_day_usd[m]) * days
    if not math.isnan(stated):
        own_travel = people * per_traveller if code == 1 else 0.0
        return stated + own_travel + interpretation
    travellers = people if code == 1 else float(mt.experts[m]) if code == 2 else 0.0
    fixed = float(mt.fixed_usd[m]) + people * float(mt.per_participant_usd[m])
    return fixed + travellers * per_traveller + interpretation


def naive_cost_fit(cost: float, budget: float, cp: CostParams) -> float:
    """Cost factor, piecewise as specified."""
    if math.isnan(budget):
        return 1.0 / (1.0 + cost / cp.reference_cost_usd)
    ratio = cost / budget
    if ratio <= 1.0:
        return 1.0 - cp.within_budget_slope * ratio
    return (1.0 - cp.within_budget_slope) * math.exp(-cp.over_budget_decay * (ratio - 1.0))


def naive_track_record(
    topic: tuple[float, float, float, float], overall: tuple[float, float, float, float],
    prior: float = 0.5, k: float = 4.0, elsewhere: float = 0.5,
) -> float:  # fmt: skip
    """Track-record value from (completed, rated, rating sum 1..5, outcomes) on the topic and overall."""
    if not any(overall) and not any(topic):
        return prior
    completed, rated, total, outcomes = (a + elsewhere * (b - a) for a, b in zip(topic, overall, strict=True))
    rating = ((total - rated) / 4 + k * prior) / (rated + k)
    reached = (outcomes + k * prior) / (rated + k)
    delivered = (completed + k * prior) / (completed + k)
    return min(1.0, max(0.0, 0.5 * rating + 0.25 * reached + 0.25 * delivered))


def naive_pair(
    demand: DemandArrays, i: int, supply: SupplyArrays, j: int, t: MatchTables,
    w: list[float], p: FactorParams, cp: CostParams, track: float = 0.5,
) -> NaivePair:  # fmt: skip
    """Score demand row i against supply row j."""
    x, y = demand.embedding[i].tolist(), supply.embedding[j].tolist()
    cosine = sum(a * b for a, b in zip(x, y, strict=True))
    ld, ls = int(demand.text_language[i]), int(supply.text_language[j])
    if ld >= 0 and ls >= 0 and ld != ls:
        cosine += p.cross_lingual_offset
    semantic = min(1.0, max(0.0, (cosine - p.semantic_low) / (p.semantic_high - p.semantic_low)))
    sector = _sector(_codes(demand.sectors[i]), _codes(supply.sectors[j]), t, p)
    a, b = int(demand.country[i]), int(supply.country[j])
    region = _region(a, b, t, p)
    shared = bool(_bits(demand.languages[i]) & _bits(supply.languages[j]))
    language = p.language_shared if shared else p.language_none
    km = cp.unknown_distance_km if a < 0 or b < 0 else float(t.countries.distance_km[a, b])
    preferred = [m for m in range(N_MODALITIES) if (int(demand.modalities[i]) >> m) & 1]
    offered = [m for m in range(N_MODALITIES) if (int(supply.modalities[j]) >> m) & 1]
    rel = t.modalities.relatedness.tolist()
    best: tuple[float, float, float, float, int] | None = None
    for m in offered:
        fit = 1.0 if not preferred or m in preferred else max(rel[q][m] for q in preferred)
        cost = naive_cost(m, float(demand.participants[i]), km, shared, float(supply.cost_usd[j]), t, cp)
        factor = naive_cost_fit(cost, float(demand.budget_usd[i]), cp)
        value = w[3] * fit + w[5] * factor
        if best is None or value > best[0]:
            best = (value, fit, cost, factor, m)
    assert best is not None, "an offer names at least one modality"
    _, modality_fit, cost, factor, m = best
    parts = (semantic, sector, region, modality_fit, language, factor, track)
    # topic first: the contextual factors count in proportion to the topical relevance
    both_coded = bool(_codes(demand.sectors[i])) and bool(_codes(supply.sectors[j]))
    if w[0] + w[1] <= 0:
        relevance = 1.0
    elif both_coded:
        relevance = (w[0] * semantic + w[1] * sector) / (w[0] + w[1])
    else:
        relevance = semantic if w[0] > 0 else sector
    gate = min(1.0, max(0.0, (relevance - p.gate_low) / (p.gate_high - p.gate_low)))
    contextual = sum(wk * f for wk, f in zip(w[2:6], parts[2:6], strict=True)) + w[6] * (track - 0.5)
    score = min(1.0, max(0.0, w[0] * semantic + w[1] * sector + gate * contextual))
    return NaivePair(score, parts, cost, m)


def naive_scores(
    demand: DemandArrays,
    supply: SupplyArrays,
    tables: MatchTables,
    weights: Weights | None = None,
    params: FactorParams | None = None,
    cost_params: CostParams | None = None,
    records: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> list[NaivePair]:
    """Score all pairs (one request vs n offers, n requests vs one offer, or row by row); ``records``
    are each pair's (n, 4) track-record counts on its topic and overall (None: no record)."""
    weights = weights or Weights()
    raw = [getattr(weights, f.name) for f in fields(weights)]
    w = [v / sum(raw[:6]) for v in raw]  # the track record's weight is relative to the six others
    params, cost_params = params or FactorParams(), cost_params or CostParams()
    n = max(len(demand), len(supply))
    return [
        naive_pair(
            demand,
            0 if len(demand) == 1 else k,
            supply,
            0 if len(supply) == 1 else k,
            tables,
            w,
            params,
            cost_params,
            0.5
            if records is None
            else naive_track_record(
                tuple(records[0][k].tolist()),
                tuple(records[1][k].tolist()),  # type: ignore[arg-type]
            ),
        )
        for k in range(n)
    ]


def naive_rank(
    scores: list[float], ids: list[int], institutions: list[int], eligible: list[bool], limit: int, cap: int
) -> list[int]:
    """Sort everything by (score desc, id asc) and walk it with the per-institution cap."""
    order = sorted((k for k in range(len(scores)) if eligible[k]), key=lambda k: (-scores[k], ids[k]))
    kept: list[int] = []
    per: dict[int, int] = {}
    for k in order:
        if per.get(institutions[k], 0) < cap:
            per[institutions[k]] = per.get(institutions[k], 0) + 1
            kept.append(k)
            if len(kept) == limit:
                break
    return kept
