"""Result types of the matching core: scored candidates and ranked matches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from broker.matching.arrays import FloatArray
from broker.matching.track_record import PairRecords

FACTORS: tuple[str, ...] = ("semantic", "sector", "region", "modality", "language", "cost", "track_record")
SEMANTIC, SECTOR, REGION, MODALITY, LANGUAGE, COST, TRACK_RECORD = range(len(FACTORS))
# The factors that say whether an exchange is practical rather than whether it is on topic; their
# weight is earned in proportion to the pair's topical relevance (see ``score_pairs``).
CONTEXTUAL = np.array([REGION, MODALITY, LANGUAGE, COST])


@dataclass(frozen=True, slots=True, eq=False)
class ScoredCandidates:
    """Scores of n pairs and everything needed to explain them.

    Attributes:
        scores: (n,) float64 weighted score in [0, 1].
        components: (7, n) float64 factor values in [0, 1], rows in ``FACTORS`` order.
        weights: (7,) float64 normalised weights used (``Weights.normalised``).
        cosine: (n,) float64 raw embedding cosine in [-1, 1].
        estimated_cost_usd: (n,) float64 estimated exchange cost in USD.
        modality: (n,) intp chosen modality index in [0, 14).
        shared_language: (n,) bool whether the pair shares a working language.
        relevance: (n,) float64 topical relevance in [0, 1] (semantic and sector evidence).
        gate: (n,) float64 share in [0, 1] of the contextual factors' weight the pair earns.
        records: Each pair's provider record (counts on the request's topic and overall).
        track_neutral: The track-record value that neither rewards nor penalises (the prior).
    """

    scores: FloatArray
    components: FloatArray
    weights: FloatArray
    cosine: FloatArray
    estimated_cost_usd: FloatArray
    modality: NDArray[np.intp]
    shared_language: NDArray[np.bool_]
    relevance: FloatArray
    gate: FloatArray
    records: PairRecords
    track_neutral: float

    def __len__(self) -> int:
        return len(self.scores)


@dataclass(frozen=True, slots=True)
class RankedMatch:
    """One ranked candidate, ready to be stored or shown.

    Attributes:
        rank: 1-based position in the ranking.
        position: Row of the candidate in the scored side's arrays.
        id: The candidate's id (offer id or request id).
        score: Weighted score in [0, 1].
        components: Factor values in [0, 1] by factor name.
        contributions: Weight x factor (x gate for the contextual factors; weight x gate x (value -
            neutral) for the track record, which may be negative) by factor name; they sum to
            ``score`` (unless it was clipped to [0, 1]).
        cosine: Raw embedding cosine in [-1, 1].
        estimated_cost_usd: Estimated exchange cost in USD.
        modality: Chosen modality index in [0, 14).
        relevance: Topical relevance in [0, 1].
        gate: Share in [0, 1] of the contextual factors' weight earned.
    """

    rank: int
    position: int
    id: int
    score: float
    components: dict[str, float]
    contributions: dict[str, float]
    cosine: float
    estimated_cost_usd: float
    modality: int
    relevance: float
    gate: float


def ranked_matches(
    scored: ScoredCandidates, positions: NDArray[np.intp], ids: NDArray[np.integer]
) -> list[RankedMatch]:
    """Materialise ranked positions (from ``rank``) as ``RankedMatch`` objects.

    Args:
        scored: The scores of all candidates.
        positions: (k,) positions, best first.
        ids: (n,) ids of all candidates.

    Returns:
        k matches with ``rank`` 1..k.
    """
    components = scored.components[:, positions]
    contributions = scored.weights[:, None] * components
    contributions[TRACK_RECORD] = scored.weights[TRACK_RECORD] * (
        components[TRACK_RECORD] - scored.track_neutral
    )
    contributions[CONTEXTUAL] *= scored.gate[positions]
    contributions[TRACK_RECORD] *= scored.gate[positions]
    return [
        RankedMatch(
            rank=i + 1,
            position=int(p),
            id=int(ids[p]),
            score=float(scored.scores[p]),
            components=dict(zip(FACTORS, components[:, i].tolist(), strict=True)),
            contributions=dict(zip(FACTORS, contributions[:, i].tolist(), strict=True)),
            cosine=float(scored.cosine[p]),
            estimated_cost_usd=float(scored.estimated_cost_usd[p]),
            modality=int(scored.modality[p]),
            relevance=float(scored.relevance[p]),
            gate=float(scored.gate[p]),
        )
        for i, p in enumerate(positions.tolist())
    ]
