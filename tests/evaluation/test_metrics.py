from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import ndcg_score

from broker.evaluation.metrics import hit_at, ndcg_at, reciprocal_rank, summarise


def test_hand_computed_metrics() -> None:
    ranked = [5, 7, 9, 1]
    grades = {9: 2, 1: 1}
    assert hit_at(ranked, grades, 1) == 0.0 and hit_at(ranked, grades, 3) == 1.0
    assert reciprocal_rank(ranked, grades) == 1 / 3
    dcg = 3 / math.log2(4) + 1 / math.log2(5)
    idcg = 3 / math.log2(2) + 1 / math.log2(3)
    assert abs(ndcg_at(ranked, grades, 10) - dcg / idcg) < 1e-12


def test_no_right_answer_ranked_scores_zero() -> None:
    assert reciprocal_rank([1, 2], {3: 2}) == 0.0
    assert summarise([([1, 2], {3: 2})])["hit@10"] == 0.0


@settings(max_examples=200, derandomize=True)
@given(st.lists(st.integers(0, 2), min_size=2, max_size=30), st.randoms(use_true_random=False))
def test_ndcg_agrees_with_scikit_learn(grades: list[int], rnd) -> None:  # type: ignore[no-untyped-def]
    if not any(grades):
        return
    candidates = list(range(len(grades)))
    rnd.shuffle(candidates)
    scores = np.zeros(len(grades))
    for position, candidate in enumerate(candidates):
        scores[candidate] = len(grades) - position  # rank order, no ties
    # scikit-learn uses linear gains; exponentiate ours to compare
    expected = ndcg_score([[2**g - 1 for g in grades]], [scores], k=10)
    ours = ndcg_at(candidates, dict(enumerate(grades)), 10)
    assert abs(ours - expected) < 1e-9
