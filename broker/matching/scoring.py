"""Weighted match score of (request, offer) pairs and the ranking of candidates.

``score_pairs`` computes the seven factors for every pair in one vectorised pass and combines them
with normalised weights, topic first: the semantic and sector factors count in full, while the
contextual ones (region, modality, language, cost) count only in proportion to the pair's topical
relevance (``relevance_gate``), so an offer on another topic cannot become a good match because it
is near, cheap and in the same language. The provider's track record counts relative to its neutral
value, gated the same way (``track_record``): a provider without a record scores as if the factor
did not exist. ``rank`` selects the best eligible candidates with a
deterministic tie-break and a cap per institution, so one prolific institution cannot fill the
whole list.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from broker.matching.arrays import DemandArrays, FloatArray, SupplyArrays
from broker.matching.choice import SlotArray, choose_modality
from broker.matching.cost import CostParams
from broker.matching.factors import (
    FactorParams,
    cosine_similarity,
    crosses_languages,
    language_fit,
    pair_count,
    region_fit,
    relevance_gate,
    sector_fit,
    sectors_known,
    semantic_fit,
    shares_language,
    topical_relevance,
)
from broker.matching.results import (
    CONTEXTUAL,
    COST,
    FACTORS,
    LANGUAGE,
    MODALITY,
    REGION,
    SECTOR,
    SEMANTIC,
    TRACK_RECORD,
    ScoredCandidates,
)
from broker.matching.tables import MatchTables
from broker.matching.track_record import PairRecords, TrackRecordParams, track_record_fit

# The track record's default weight, in units of the six other weights' total (which is 1 by
# default): its full range moves a score by at most this much, half of it either side of neutral.
DEFAULT_TRACK_RECORD_WEIGHT = 0.05


@dataclass(frozen=True)
class Weights:
    """Relative weights of the seven factors (field order = ``FACTORS``); only their proportions matter.

    The defaults let the text decide most (the challenge and the experience are described there),
    then the sector, the cost, and geography, modality and language as tie-breakers of similar fits.
    The track record's weight is measured against the six others' total (``normalised``), so adding
    it leaves every score of a provider without a record unchanged.

    Raises:
        ValueError: A weight is negative or not finite, or all are zero.
    """

    semantic: float = 0.45
    sector: float = 0.15
    region: float = 0.10
    modality: float = 0.10
    language: float = 0.08
    cost: float = 0.12
    track_record: float = DEFAULT_TRACK_RECORD_WEIGHT

    def __post_init__(self) -> None:
        values = self._values()
        if not all(math.isfinite(v) and v >= 0 for v in values) or sum(values[:-1]) <= 0:
            raise ValueError(f"weights must be finite, >= 0 and not all of the first six zero: {values}")

    @classmethod
    def from_mapping(cls, weights: Mapping[str, float]) -> Weights:
        """Build weights from a ``{factor: weight}`` mapping (a stored scoring profile).

        Args:
            weights: Keys among ``FACTORS``; a missing factor gets weight 0.

        Returns:
            The weights.
        """
        unknown = set(weights) - set(FACTORS)
        if unknown:
            raise ValueError(f"unknown factors {sorted(unknown)}; expected some of {FACTORS}")
        return cls(**{name: float(weights.get(name, 0.0)) for name in FACTORS})

    def normalised(self) -> FloatArray:
        """The weights in ``FACTORS`` order, scaled so that the first six sum to 1.

        Returns:
            (7,) float64, each >= 0; the first six sum to 1, the track record's is relative to them.
        """
        values = np.array(self._values(), dtype=np.float64)
        normalised: FloatArray = values / values[:TRACK_RECORD].sum()
        return normalised

    def _values(self) -> tuple[float, ...]:
        """The weights in field order (``dataclasses.astuple`` deep-copies each: slow per search)."""
        return (self.semantic, self.sector, self.region, self.modality, self.language, self.cost,
                self.track_record)  # fmt: skip

    def as_dict(self) -> dict[str, float]:
        """The normalised weights by factor name."""
        return dict(zip(FACTORS, self.normalised().tolist(), strict=True))


def score_pairs(
    demand: DemandArrays,
    supply: SupplyArrays,
    tables: MatchTables,
    weights: Weights | None = None,
    params: FactorParams | None = None,
    cost_params: CostParams | None = None,
    *,
    slots: SlotArray | None = None,
    records: PairRecords | None = None,
    track_params: TrackRecordParams | None = None,
    cosine: FloatArray | None = None,
) -> ScoredCandidates:
    """Score every (request, offer) pair: one request against n offers, n requests against one offer,
    or n requests against n offers row by row.

    Args:
        demand: Requests, n_d rows.
        supply: Offers, n_s rows; n_d == 1, n_s == 1 or n_d == n_s.
        tables: Lookup tables.
        weights: Factor weights (default ``Weights()``).
        params: Levels of the non-cost factors (default ``FactorParams()``).
        cost_params: Cost constants (default ``CostParams()``).
        slots: Precomputed ``offered_slots(supply.modalities)``, e.g. kept by an ``OfferIndex``.
        records: Each pair's provider record (``pair_records``); None = no provider has one.
        track_params: Shrinkage of the track-record factor (default ``TrackRecordParams()``).
        cosine: (n,) cosines to use instead of those of the embeddings (which are then not read):
            ``OfferIndex`` passes those it computed for the rows' score ceilings.

    Returns:
        Scores and components of the n = max(n_d, n_s) pairs: score = w_semantic * semantic +
        w_sector * sector + gate * (the weighted contextual factors + w_track * (track - neutral)),
        gate in [0, 1], clipped to [0, 1].
    """
    weights = weights or Weights()
    params = params or FactorParams()
    n = pair_count(len(demand), len(supply))
    if cosine is None:
        cosine = cosine_similarity(demand.embedding, supply.embedding)
    elif cosine.shape != (n,):
        raise ValueError(f"cosine: expected shape ({n},), got {cosine.shape}")
    parts = _Context(demand, supply, tables, weights, params, cost_params, slots, records, track_params)
    components = parts.components.copy()
    scores, relevance, gate = parts.scores(cosine, components)
    return ScoredCandidates(
        scores, components, parts.w, cosine, parts.choice.cost_usd, parts.choice.modality, parts.shared,
        relevance, gate, parts.records, parts.track_params.prior,
    )  # fmt: skip


def score_ceiling(
    demand: DemandArrays,
    supply: SupplyArrays,
    tables: MatchTables,
    weights: Weights,
    params: FactorParams,
    *,
    cosine: FloatArray,
    track_neutral: float | None,
) -> FloatArray:
    """Upper bounds of the scores of one request's pairs, from the cheap factors only.

    The semantic, sector, region and language factors are exact (and so are the relevance and its
    gate); modality and cost, whose choice of modality is most of an exact score's work, are taken
    as 1, and the track record as its best. ``score_pairs`` is non-decreasing in each factor, so no
    pair scores above its ceiling.

    Args:
        demand, supply, tables, weights, params: As for ``score_pairs``.
        cosine: (n,) the pairs' cosines.
        track_neutral: The track record's neutral value when some provider has a record (the factor
            then adds at most ``w * (1 - neutral)``); None when nobody has one (it adds 0).

    Returns:
        (n,) float64 upper bounds in [0, 1].
    """
    w = weights.normalised()
    crossing = crosses_languages(demand.text_language, supply.text_language)
    semantic = semantic_fit(cosine + params.cross_lingual_offset * crossing, params)
    sector = sector_fit(demand.sectors, supply.sectors, tables.sectors, params)
    relevance = topical_relevance(
        semantic, sector, sectors_known(demand.sectors, supply.sectors), w[SEMANTIC], w[SECTOR]
    )
    contextual = w[REGION] * region_fit(demand.country, supply.country, tables.countries, params)
    contextual += w[LANGUAGE] * language_fit(shares_language(demand.languages, supply.languages), params)
    contextual += w[MODALITY] + w[COST]
    if track_neutral is not None:
        contextual += w[TRACK_RECORD] * (1.0 - track_neutral)
    ceiling: FloatArray = w[SEMANTIC] * semantic + w[SECTOR] * sector
    ceiling += relevance_gate(relevance, params) * contextual
    return np.clip(ceiling, 0.0, 1.0, out=ceiling)


class _Context:
    """The factors of a set of pairs that do not depend on their cosine, and the score from a cosine."""

    def __init__(
        self,
        demand: DemandArrays,
        supply: SupplyArrays,
        tables: MatchTables,
        weights: Weights,
        params: FactorParams,
        cost_params: CostParams | None,
        slots: SlotArray | None,
        records: PairRecords | None,
        track_params: TrackRecordParams | None,
    ) -> None:
        n = pair_count(len(demand), len(supply))
        self.params = params
        self.track_params = track_params = track_params or TrackRecordParams()
        self.records = records if records is not None else PairRecords.none(n)
        self.w = w = weights.normalised()
        self.crossing = crosses_languages(demand.text_language, supply.text_language)
        self.shared = shares_language(demand.languages, supply.languages)
        self.choice = choose_modality(
            demand, supply, self.shared, tables, weights=(w[MODALITY], w[COST]),
            params=cost_params or CostParams(), slots=slots,
        )  # fmt: skip
        self.components = components = np.empty((len(FACTORS), n), dtype=np.float64)
        components[SECTOR] = sector_fit(demand.sectors, supply.sectors, tables.sectors, params)
        components[REGION] = region_fit(demand.country, supply.country, tables.countries, params)
        components[MODALITY] = self.choice.fit
        components[LANGUAGE] = language_fit(self.shared, params)
        components[COST] = self.choice.cost_fit
        components[TRACK_RECORD] = track_record_fit(self.records, track_params)
        self.known = sectors_known(demand.sectors, supply.sectors)
        self.contextual = np.einsum("i,ij->j", w[CONTEXTUAL], components[CONTEXTUAL])  # not BLAS: no stalls
        if w[TRACK_RECORD] > 0:  # relative to neutral: exactly 0 for a provider without a record
            self.contextual += w[TRACK_RECORD] * (components[TRACK_RECORD] - track_params.prior)

    def topical_and_gate(self, cosine: FloatArray, components: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The topical part of the score and the gate at the given cosines (fills the semantic row)."""
        w, params = self.w, self.params
        components[SEMANTIC] = semantic_fit(cosine + params.cross_lingual_offset * self.crossing, params)
        self.relevance = topical_relevance(
            components[SEMANTIC], components[SECTOR], self.known, w[SEMANTIC], w[SECTOR]
        )
        topical = w[SEMANTIC] * components[SEMANTIC] + w[SECTOR] * components[SECTOR]
        return topical, relevance_gate(self.relevance, params)

    def scores(self, cosine: FloatArray, components: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Scores, topical relevance and gate at the given cosines (fills ``components[SEMANTIC]``)."""
        topical, gate = self.topical_and_gate(cosine, components)
        scores = topical + gate * self.contextual
        np.clip(scores, 0.0, 1.0, out=scores)
        return scores, self.relevance, gate


def rank(
    scores: FloatArray,
    *,
    ids: NDArray[np.integer],
    institution_ids: NDArray[np.integer] | None = None,
    eligible: NDArray[np.bool_] | None = None,
    limit: int = 10,
    per_institution: int | None = 2,
) -> NDArray[np.intp]:
    """Positions of the best eligible candidates, best first.

    Ties in score are broken by ``ids`` ascending, so the result does not depend on storage order.
    At most ``per_institution`` candidates of one institution are kept; the next best candidates of
    other institutions take their places. Only the top of the list is sorted (``argpartition``),
    widening the window only when the cap discards too many.

    Args:
        scores: (n,) float64 finite scores.
        ids: (n,) stable unique ids (offer or request ids) for the tie-break.
        institution_ids: (n,) institution of each candidate; None disables the cap.
        eligible: (n,) bool hard filter (status, own institution, expiry); None = all eligible.
        limit: Maximum number of results, >= 0.
        per_institution: Maximum results per institution, >= 1; None disables the cap.

    Returns:
        (k,) intp positions into ``scores``, k <= limit, ordered by (score desc, id asc).
    """
    n = len(scores)
    if per_institution is not None and per_institution < 1:
        raise ValueError("per_institution must be >= 1 or None")
    if limit <= 0 or n == 0:
        return np.empty(0, dtype=np.intp)
    masked = scores if eligible is None else np.where(eligible, scores, -np.inf)
    capped = institution_ids is not None and per_institution is not None
    window = min(n, max(4 * limit, 32))
    while True:
        candidates = _at_least_top(masked, window)  # a prefix of the full order, ties included
        complete = len(candidates) == n or masked[candidates].min() == -np.inf
        candidates = candidates[masked[candidates] > -np.inf]
        order = candidates[np.lexsort((ids[candidates], -masked[candidates]))]
        if not capped:
            return order[:limit]
        picked = _cap_per_institution(order, institution_ids, per_institution, limit)  # type: ignore[arg-type]
        if len(picked) == limit or complete:
            return picked
        window = min(n, window * 4)


def _at_least_top(scores: FloatArray, window: int) -> NDArray[np.intp]:
    """Positions of every score >= some threshold, the threshold chosen so that at least ``window``
    positions qualify (all of them when ``window >= len(scores)``).

    A strided sample usually gives a threshold admitting a few times ``window`` positions for a
    fraction of the cost of ``argpartition``; the exact ``argpartition`` threshold is the fallback.
    """
    n = len(scores)
    if window >= n:
        return np.arange(n)
    step = n // (16 * window)
    if step >= 2:
        sample = scores[::step]
        kth = len(sample) - (2 * window // step + 1)  # expect ~2 x window above it
        candidates = np.flatnonzero(scores >= np.partition(sample, kth)[kth])
        if window <= len(candidates) <= 64 * window:
            return candidates
    threshold = scores[np.argpartition(scores, n - window)[n - window :]].min()
    return np.flatnonzero(scores >= threshold)


def _cap_per_institution(
    order: NDArray[np.intp], institution_ids: NDArray[np.integer], cap: int, limit: int
) -> NDArray[np.intp]:
    """Walk the ordered candidates, keeping at most ``cap`` per institution, until ``limit`` are kept."""
    kept: list[int] = []
    counts: dict[int, int] = {}
    for position, institution in zip(order.tolist(), institution_ids[order].tolist(), strict=True):
        if counts.get(institution, 0) < cap:
            counts[institution] = counts.get(institution, 0) + 1
            kept.append(position)
            if len(kept) == limit:
                break
    return np.array(kept, dtype=np.intp)
