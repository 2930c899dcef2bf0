"""Ranking metrics over graded judgements (2 = the right answer, 1 = also sound).

A ranked list is a sequence of candidate ids, best first. "Hits" and reciprocal ranks count only
grade-2 candidates (the right answer); nDCG uses every grade with gain 2**grade - 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

RIGHT = 2


def hit_at(ranked: Sequence[int], grades: Mapping[int, int], k: int) -> float:
    """1.0 if a grade-2 candidate is among the first ``k``, else 0.0."""
    return 1.0 if any(grades.get(c, 0) >= RIGHT for c in ranked[:k]) else 0.0


def reciprocal_rank(ranked: Sequence[int], grades: Mapping[int, int]) -> float:
    """1 / position of the first grade-2 candidate (1-based), 0.0 if none is ranked."""
    return next((1.0 / i for i, c in enumerate(ranked, start=1) if grades.get(c, 0) >= RIGHT), 0.0)


def ndcg_at(ranked: Sequence[int], grades: Mapping[int, int], k: int) -> float:
    """Normalised discounted cumulative gain at ``k`` in [0, 1] (gain 2**grade - 1, log2 discount)."""
    dcg = sum((2 ** grades.get(c, 0) - 1) / math.log2(i + 1) for i, c in enumerate(ranked[:k], start=1))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 1) for i, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def summarise(runs: Sequence[tuple[Sequence[int], Mapping[int, int]]]) -> dict[str, float]:
    """Mean hit@1, hit@3, hit@10, MRR and nDCG@10 over (ranked list, grades) pairs."""
    n = len(runs)
    if n == 0:
        return dict.fromkeys(("hit@1", "hit@3", "hit@10", "mrr", "ndcg@10"), 0.0)
    return {
        "hit@1": sum(hit_at(r, g, 1) for r, g in runs) / n,
        "hit@3": sum(hit_at(r, g, 3) for r, g in runs) / n,
        "hit@10": sum(hit_at(r, g, 10) for r, g in runs) / n,
        "mrr": sum(reciprocal_rank(r, g) for r, g in runs) / n,
        "ndcg@10": sum(ndcg_at(r, g, 10) for r, g in runs) / n,
    }
