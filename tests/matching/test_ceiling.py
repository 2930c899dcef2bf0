"""Below the first pass's threshold: score ceilings from the cheap factors prove the exact list while
scoring only the offers that can reach it."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.synthetic import TopicSpace, random_demand, random_tables
from broker.matching import FactorParams, OfferIndex, Weights, score_pairs
from broker.matching.prefilter import PrefilterParams
from broker.matching.scoring import score_ceiling
from broker.matching.track_record import STATS, TrackRecordTable
from tests.matching.builders import DETERMINISTIC, random_records
from tests.matching.test_prefilter import N_LANGUAGES, PARAMS, corpus, ranked


def groups(tables: object) -> int:
    """How many sector groups the tables know."""
    return int(tables.sectors.group_of.max(initial=-1)) + 1  # type: ignore[attr-defined]


def _records(rng: np.random.Generator, institution_ids: np.ndarray, groups: int) -> TrackRecordTable:
    """Records for about half of the providers, good and poor."""
    providers = np.unique(institution_ids)
    providers = providers[rng.random(len(providers)) < 0.5]
    completed = rng.integers(0, 6, (len(providers), groups + 1)).astype(np.float64)
    rated = np.floor(completed * rng.random(completed.shape))
    stats = np.stack([completed, rated, rated * rng.uniform(1, 5, completed.shape), np.floor(rated / 2)], -1)
    assert stats.shape[-1] == len(STATS)
    return TrackRecordTable(providers, stats)


@DETERMINISTIC
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 700),
    density=st.sampled_from([1.0, 0.5, 0.2, 0.01]),
    limit=st.integers(1, 12),
    cap=st.sampled_from([None, 1, 2]),
    pool=st.sampled_from([1, 16, 64]),
    ties=st.booleans(),
    records=st.booleans(),
    weighted=st.booleans(),
)
def test_the_ceilinged_search_returns_the_exact_list_and_proves_it(
    seed: int,
    n: int,
    density: float,
    limit: int,
    cap: int | None,
    pool: int,
    ties: bool,
    records: bool,
    weighted: bool,
) -> None:
    offers, rng = corpus(seed, n, dim=24, ties=ties)
    tables = random_tables(np.random.default_rng(seed), n_countries=30, n_sectors=40)
    index = OfferIndex.from_supply(
        offers.supply, ids=offers.ids, institution_ids=offers.institution_ids, n_languages=N_LANGUAGES,
        prefilter=PrefilterParams(ceiling_pool=pool),
    )  # fmt: skip
    demand = random_demand(rng, 1, tables, n_languages=N_LANGUAGES, space=TopicSpace(dim=24, rank=4))
    weights = Weights(*(rng.random(6) + 0.01), track_record=float(rng.random())) if weighted else Weights()
    query = {
        "demand": demand, "tables": tables, "params": PARAMS, "weights": weights, "limit": limit,
        "per_institution": cap, "eligible": rng.random(n) < density if density < 1 else None,
        "track_records": _records(rng, offers.institution_ids, groups(tables)) if records else None,
    }  # fmt: skip
    found = index.search(**query)  # type: ignore[arg-type]
    assert found.certified
    assert_same_ranking(ranked(index, **query), ranked(index, approximate=False, **query))


def assert_same_ranking(found: list[tuple[int, float]], exact: list[tuple[int, float]]) -> None:
    """The same list up to float32 rounding of the cosines: the ceiling's cosines come from one
    matrix-vector product (BLAS), the exact path's from einsum, so scores may differ by ~1e-7 and
    offers within that of each other may swap; the cut of the list is compared the same way."""
    tolerance = 1e-6
    assert len(found) == len(exact)
    assert np.allclose([s for _, s in found], [s for _, s in exact], rtol=0, atol=tolerance)
    last = exact[-1][1] if exact else 0.0
    for (found_id, found_score), (exact_id, exact_score) in zip(found, exact, strict=True):
        near = [e for e, s in exact if abs(s - exact_score) <= 2 * tolerance]
        if found_id != exact_id:  # a near tie: it must be one of the offers scoring about the same
            assert abs(found_score - exact_score) <= 2 * tolerance
            assert found_id in near or abs(found_score - last) <= 2 * tolerance


def test_it_scores_few_offers_exactly_on_a_large_catalogue() -> None:
    offers, rng = corpus(7, 5000, dim=48, ties=False)
    tables = random_tables(np.random.default_rng(7), n_countries=30, n_sectors=40)
    index = OfferIndex.from_supply(
        offers.supply, ids=offers.ids, institution_ids=offers.institution_ids, n_languages=N_LANGUAGES
    )
    scored = []
    for _ in range(8):
        demand = random_demand(rng, 1, tables, n_languages=N_LANGUAGES, space=TopicSpace(dim=48, rank=4))
        result = index.search(demand, tables, params=PARAMS)
        assert result.certified
        scored.append(len(result.rows))
    assert np.median(scored) < 5000 / 4  # most requests never score most offers in full


@DETERMINISTIC
@given(seed=st.integers(0, 10_000), offset=st.sampled_from([0.0, 0.03, 0.2]), records=st.booleans())
def test_a_ceiling_is_never_below_the_exact_score(seed: int, offset: float, records: bool) -> None:
    offers, rng = corpus(seed, 300, dim=16, ties=False)
    tables = random_tables(np.random.default_rng(seed), n_countries=30, n_sectors=40)
    demand = random_demand(rng, 1, tables, n_languages=N_LANGUAGES, space=TopicSpace(dim=16, rank=4))
    params = FactorParams(semantic_low=0.72, semantic_high=0.90, cross_lingual_offset=offset)
    weights = Weights(*(rng.random(6) + 0.01), track_record=float(rng.random()))
    pair_records = random_records(rng, 300) if records else None
    cosine = rng.uniform(0.5, 1.0, 300)
    exact = score_pairs(demand, offers.supply, tables, weights, params, records=pair_records, cosine=cosine)
    ceiling = score_ceiling(
        demand, offers.supply, tables, weights, params, cosine=cosine,
        track_neutral=exact.track_neutral if records else None,
    )  # fmt: skip
    assert np.all(exact.scores <= ceiling + 1e-12)
