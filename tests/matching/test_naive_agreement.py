"""The vectorised scoring and ranking agree with the independent per-pair baseline (benchmarks.naive)."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.naive import naive_rank, naive_scores
from benchmarks.synthetic import random_demand, random_supply, random_tables
from broker.matching import OfferIndex, Weights, rank, score_pairs
from tests.matching.builders import random_records

SHAPES = {
    "one request, many offers": (1, 400),
    "many requests, one offer": (400, 1),
    "row by row": (400, 400),
}


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("mode", list(SHAPES))
def test_scores_equal_the_naive_baseline_within_1e_9(mode: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    tables = random_tables(rng, n_countries=40, n_sectors=60)
    n_demand, n_supply = SHAPES[mode]
    supply = random_supply(rng, n_supply, tables, dim=16, dtype=np.float64).supply
    demand = random_demand(rng, n_demand, tables, dim=16, dtype=np.float64)
    weights = Weights(*rng.uniform(0, 1, 7))
    records = random_records(rng, max(n_demand, n_supply))
    scored = score_pairs(demand, supply, tables, weights, records=records)
    naive = naive_scores(demand, supply, tables, weights, records=(records.topic, records.overall))
    assert np.abs(scored.scores - [p.score for p in naive]).max() < 1e-9
    assert np.abs(scored.components - np.array([p.components for p in naive]).T).max() < 1e-9
    assert np.allclose(scored.estimated_cost_usd, [p.cost_usd for p in naive], rtol=1e-12)
    assert scored.modality.tolist() == [p.modality for p in naive]


def test_index_search_equals_the_naive_ranking() -> None:
    rng = np.random.default_rng(7)
    tables = random_tables(rng)
    corpus = random_supply(rng, 2_000, tables)  # float32, as the index stores
    index = OfferIndex.from_supply(
        corpus.supply, ids=corpus.ids, institution_ids=corpus.institution_ids, n_languages=180
    )
    for _ in range(5):
        demand = random_demand(rng, 1, tables)
        eligible = rng.random(2_000) < 0.8
        every = index.search(
            demand, tables, eligible=eligible, limit=10, per_institution=2, approximate=False
        )
        result = index.search(demand, tables, eligible=eligible, limit=10, per_institution=2)  # ceilinged
        naive = naive_scores(demand, corpus.supply, tables)
        naive_total = [p.score for p in naive]
        assert np.abs(every.scored.scores - naive_total).max() < 1e-6  # float32 embeddings
        assert [m.id for m in every.matches] == [m.id for m in result.matches]
        kept = naive_rank(
            naive_total, corpus.ids.tolist(), corpus.institution_ids.tolist(), eligible.tolist(), 10, 2
        )
        assert [m.id for m in result.matches] == corpus.ids[kept].tolist()


def test_rank_equals_the_naive_ranking_with_many_ties() -> None:
    rng = np.random.default_rng(11)
    for _ in range(20):
        n = int(rng.integers(1, 300))
        scores = rng.integers(0, 5, n) / 4  # heavy ties
        ids = rng.permutation(n)
        institutions = rng.integers(0, 6, n)
        eligible = rng.random(n) < 0.7
        limit, cap = int(rng.integers(1, 15)), int(rng.integers(1, 4))
        got = rank(
            scores, ids=ids, institution_ids=institutions, eligible=eligible, limit=limit, per_institution=cap
        )
        expected = naive_rank(
            scores.tolist(), ids.tolist(), institutions.tolist(), eligible.tolist(), limit, cap
        )
        assert got.tolist() == expected


@pytest.mark.parametrize("eligible_share", [1.0, 0.5, 0.001])
def test_rank_on_large_inputs_equals_the_naive_ranking(eligible_share: float) -> None:
    rng = np.random.default_rng(13)
    n = 40_000  # large enough for the sampled threshold
    scores = np.round(rng.beta(2, 5, n), 3)  # skewed, with ties
    ids, institutions = rng.permutation(n), rng.integers(0, 50, n)
    eligible = rng.random(n) < eligible_share
    for limit, cap in ((10, 2), (50, 1), (10, None)):
        got = rank(
            scores, ids=ids, institution_ids=institutions, eligible=eligible, limit=limit, per_institution=cap
        )
        expected = naive_rank(
            scores.tolist(), ids.tolist(), institutions.tolist(), eligible.tolist(), limit, cap or n
        )
        assert got.tolist() == expected
