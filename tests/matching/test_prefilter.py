"""The compressed first pass: its error bounds hold, and the pool's ranking equals the exact one."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.synthetic import Corpus, TopicSpace, random_demand, random_supply, random_tables
from broker.matching import FactorParams, OfferIndex, OfferRecord, Weights, score_pairs
from broker.matching.prefilter import (
    ROUNDING_SLACK,
    PrefilterParams,
    approximate_cosines,
    quantise_rows,
    refined_cosines,
    score_upper_bound,
)
from broker.matching.scoring import score_ceiling
from tests.matching.builders import DETERMINISTIC, random_records

N_LANGUAGES = 40
PARAMS = FactorParams(semantic_low=0.72, semantic_high=0.90)  # the default encoder's scale


def corpus(seed: int, n: int, dim: int, ties: bool) -> tuple[Corpus, np.random.Generator]:
    rng = np.random.default_rng(seed)
    tables = random_tables(rng, n_countries=30, n_sectors=40)
    offers = random_supply(rng, n, tables, n_languages=N_LANGUAGES, space=TopicSpace(dim=dim, rank=4))
    if ties and n > 1:  # copies of a few offers: equal scores, broken by id
        copies = rng.integers(0, n, size=n // 3)
        for name in ("embedding", "sectors", "country", "modalities", "languages", "cost_usd"):
            getattr(offers.supply, name)[copies] = getattr(offers.supply, name)[copies[0]]
    return offers, rng


def ranked(index: OfferIndex, **kwargs: object) -> list[tuple[int, float]]:
    result = index.search(**kwargs)  # type: ignore[arg-type]
    return scores_of(result.matches)


def scores_of(matches: list[Any]) -> list[tuple[int, float]]:
    # Rounded: a score summed over another subset of rows (SIMD reductions) may differ in its last bit.
    return [(m.id, round(m.score, 9)) for m in matches]


@DETERMINISTIC
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 400),
    density=st.sampled_from([1.0, 0.5, 0.05, 0.005]),
    limit=st.integers(1, 12),
    cap=st.sampled_from([None, 1, 2]),
    pool=st.sampled_from([1, 8, 64]),
    ties=st.booleans(),
)
def test_the_first_pass_with_exact_fallback_returns_the_exact_ranking(
    seed: int, n: int, density: float, limit: int, cap: int | None, pool: int, ties: bool
) -> None:
    offers, rng = corpus(seed, n, dim=24, ties=ties)
    tables = random_tables(np.random.default_rng(seed), n_countries=30, n_sectors=40)
    prefilter = PrefilterParams(
        threshold=1, dims=8, pool=pool, max_pool=4 * pool, exact_when_unproven=True, pool_at=0
    )
    index = OfferIndex.from_supply(
        offers.supply, ids=offers.ids, institution_ids=offers.institution_ids, n_languages=N_LANGUAGES,
        prefilter=prefilter,
    )  # fmt: skip
    demand = random_demand(rng, 1, tables, n_languages=N_LANGUAGES, space=TopicSpace(dim=24, rank=4))
    eligible = rng.random(n) < density
    query = {"demand": demand, "tables": tables, "params": PARAMS, "eligible": eligible, "limit": limit,
             "per_institution": cap}  # fmt: skip
    exact = ranked(index, approximate=False, **query)
    assert ranked(index, approximate=True, **query) == exact
    assert ranked(index, **query) == exact  # above the threshold of 1 row: the first pass


@DETERMINISTIC
@given(
    seed=st.integers(0, 10_000),
    limit=st.integers(1, 10),
    cap=st.sampled_from([None, 1, 2]),
    dims=st.sampled_from([3, 6, 12]),
)
def test_a_certified_pool_list_is_the_exact_list(seed: int, limit: int, cap: int | None, dims: int) -> None:
    offers, rng = corpus(seed, 600, dim=12, ties=False)
    tables = random_tables(np.random.default_rng(seed), n_countries=30, n_sectors=40)
    prefilter = PrefilterParams(
        threshold=1, dims=dims, pool=32, max_pool=512, pool_at=0
    )  # < 12 dims: a residual
    index = OfferIndex.from_supply(
        offers.supply, ids=offers.ids, institution_ids=offers.institution_ids, n_languages=N_LANGUAGES,
        prefilter=prefilter,
    )  # fmt: skip
    weights = Weights(semantic=0.8, sector=0.1, region=0.04, modality=0.02, language=0.02, cost=0.02)
    for _ in range(4):
        demand = random_demand(rng, 1, tables, n_languages=N_LANGUAGES, space=TopicSpace(dim=12, rank=4))
        query = {"demand": demand, "tables": tables, "params": PARAMS, "weights": weights, "limit": limit,
                 "per_institution": cap}  # fmt: skip
        result = index.search(approximate=True, **query)  # type: ignore[arg-type]
        if result.certified:
            assert scores_of(result.matches) == ranked(index, approximate=False, **query)


def test_the_bound_certifies_when_semantics_dominate() -> None:
    offers, rng = corpus(3, 2000, dim=12, ties=False)
    tables = random_tables(np.random.default_rng(3), n_countries=30, n_sectors=40)
    index = OfferIndex.from_supply(
        offers.supply, ids=offers.ids, institution_ids=offers.institution_ids, n_languages=N_LANGUAGES,
        prefilter=PrefilterParams(threshold=1, dims=12, pool=64, max_pool=1024, pool_at=0),
    )  # fmt: skip
    weights = Weights(semantic=0.9, sector=0.1, region=0, modality=0, language=0, cost=0)
    certified = 0
    for _ in range(10):
        demand = random_demand(rng, 1, tables, n_languages=N_LANGUAGES, space=TopicSpace(dim=12, rank=4))
        result = index.search(demand, tables, weights=weights, params=PARAMS, approximate=True)
        certified += result.certified and len(result.rows) < len(index)
    assert certified >= 5


@DETERMINISTIC
@given(seed=st.integers(0, 10_000), dims=st.integers(1, 40))
def test_approximate_cosines_stay_within_their_error_bound(seed: int, dims: int) -> None:
    rng = np.random.default_rng(seed)
    space = TopicSpace(dim=32, rank=6, seed=seed)
    offers, query = space.rows(rng, 300), space.rows(rng, 1)[0]
    index = OfferIndex(dim=32, n_languages=1, prefilter=PrefilterParams(dims=dims))
    index._rows["embedding"] = offers  # only the sketch is exercised
    index._size = 300
    index.build_sketch(seed=seed)
    assert index._sketch is not None
    terms = index._rows["sketch_terms"][:300]
    codes = index._rows["sketch_codes"][:300]
    approx, a, b, r = approximate_cosines(index._sketch, codes, terms[:, 0], query)
    exact = offers.astype(np.float64) @ query.astype(np.float64)
    bound = a * terms[:, 0] + b * terms[:, 1] + r * terms[:, 2] + ROUNDING_SLACK
    assert np.all(np.abs(exact - approx) <= bound)
    assert np.all(bound <= index._slack_max @ np.array([a, b, r]) + ROUNDING_SLACK + 1e-9)


@DETERMINISTIC
@given(seed=st.integers(0, 10_000), offset=st.sampled_from([0.0, 0.05]))
def test_the_score_bound_is_never_below_an_exact_score(seed: int, offset: float) -> None:
    offers, rng = corpus(seed, 300, dim=16, ties=False)
    tables = random_tables(np.random.default_rng(seed), n_countries=30, n_sectors=40)
    params = FactorParams(semantic_low=0.72, semantic_high=0.90, cross_lingual_offset=offset)
    weights = Weights(*rng.random(6) + 0.01)
    demand = random_demand(rng, 1, tables, n_languages=N_LANGUAGES, space=TopicSpace(dim=16, rank=4))
    demand.text_language[:] = 1
    offers.supply.text_language[:] = rng.integers(-1, 3, size=300)
    scored = score_pairs(demand, offers.supply, tables, weights, params)
    assert np.all(score_upper_bound(scored.cosine, weights.normalised(), params) >= scored.scores - 1e-12)


def test_empty_and_one_row_indexes_search_through_the_first_pass() -> None:
    offers, rng = corpus(1, 1, dim=16, ties=False)
    tables = random_tables(np.random.default_rng(1), n_countries=30, n_sectors=40)
    demand = random_demand(rng, 1, tables, n_languages=N_LANGUAGES, space=TopicSpace(dim=16, rank=4))
    prefilter = PrefilterParams(threshold=1, dims=4, pool=1, max_pool=1, pool_at=0)
    empty = OfferIndex(dim=16, n_languages=N_LANGUAGES, prefilter=prefilter)
    assert empty.search(demand, tables, approximate=True).matches == []
    one = OfferIndex.from_supply(
        offers.supply, ids=offers.ids, institution_ids=offers.institution_ids, n_languages=N_LANGUAGES,
        prefilter=prefilter,
    )  # fmt: skip
    result = one.search(demand, tables, approximate=True)
    assert [m.id for m in result.matches] == offers.ids.tolist() and result.certified


def test_codes_follow_upserts_and_removes_after_the_first_search() -> None:
    offers, rng = corpus(8, 120, dim=16, ties=False)
    tables = random_tables(np.random.default_rng(8), n_countries=30, n_sectors=40)
    prefilter = PrefilterParams(
        threshold=50, dims=6, pool=8, max_pool=32, exact_when_unproven=True, pool_at=0
    )
    index = OfferIndex(dim=16, n_languages=N_LANGUAGES, capacity=4, prefilter=prefilter)
    supply = offers.supply

    def upsert(row: int, offer_id: int) -> None:
        index.upsert(
            OfferRecord(
                offer_id=offer_id, institution_id=int(offers.institution_ids[row]),
                embedding=supply.embedding[row], sectors=[int(s) for s in supply.sectors[row] if s >= 0],
                country=int(supply.country[row]),
                modalities=[m for m in range(14) if int(supply.modalities[row]) >> m & 1], languages=[0],
            )
        )  # fmt: skip

    for row in range(60):
        upsert(row, row + 1)
    demand = random_demand(rng, 1, tables, n_languages=N_LANGUAGES, space=TopicSpace(dim=16, rank=4))
    query = {"demand": demand, "tables": tables, "params": PARAMS, "limit": 2}  # a pool of 32 < 60 rows
    assert ranked(index, **query) == ranked(index, approximate=False, **query)  # fits the sketch
    for row in range(60, 120):
        upsert(row, row + 1)
    for offer_id in range(1, 40, 3):
        index.remove(offer_id)
    assert index._sketch is not None
    codes, terms = index._sketch.encode(index.supply().embedding)
    assert np.array_equal(index._rows["sketch_codes"][: len(index)], codes)
    assert np.allclose(index._rows["sketch_terms"][: len(index)], terms, rtol=1e-5)  # BLAS blocking
    assert ranked(index, **query) == ranked(index, approximate=False, **query)


@DETERMINISTIC
@given(seed=st.integers(0, 10_000), dim=st.sampled_from([16, 96, 384, 896]))
def test_refined_cosines_stay_within_their_margin_which_the_worst_case_caps(seed: int, dim: int) -> None:
    rng = np.random.default_rng(seed)
    space = TopicSpace(dim=dim, rank=6, seed=seed)
    offers, query = space.rows(rng, 2000), space.rows(rng, 1)[0]
    codes, terms = quantise_rows(offers)
    approx, margin = refined_cosines(codes, terms, query)
    exact = offers.astype(np.float64) @ query.astype(np.float64)
    assert np.all(np.abs(exact - approx) <= margin)
    _, worst = refined_cosines(codes, terms, query, sigmas=1e9)  # the cap: the rigorous bound
    assert np.all(np.abs(exact - approx) <= worst) and np.all(margin <= worst)
    assert float(np.median(margin)) < 0.01 if dim >= 384 else True  # tight enough to prune a pool


def test_scores_from_given_cosines_equal_those_of_the_embeddings() -> None:
    offers, rng = corpus(4, 200, dim=16, ties=False)
    tables = random_tables(np.random.default_rng(4), n_countries=30, n_sectors=40)
    demand = random_demand(rng, 1, tables, n_languages=N_LANGUAGES, space=TopicSpace(dim=16, rank=4))
    scored = score_pairs(demand, offers.supply, tables, params=PARAMS)
    given = score_pairs(demand, offers.supply, tables, params=PARAMS, cosine=scored.cosine)
    assert np.array_equal(given.scores, scored.scores)
    higher = score_pairs(demand, offers.supply, tables, params=PARAMS, cosine=scored.cosine + 0.01)
    assert np.all(higher.scores >= scored.scores)  # non-decreasing in the cosine: bounds give bounds


@DETERMINISTIC
@given(
    seed=st.integers(0, 10_000),
    limit=st.integers(1, 12),
    cap=st.sampled_from([None, 1, 2]),
    ties=st.booleans(),
)
def test_the_second_pass_drops_only_rows_that_cannot_reach_the_list(
    seed: int, limit: int, cap: int | None, ties: bool
) -> None:
    """With a pool as large as the catalogue the first pass keeps every row; the list is then the
    exact one exactly when the second pass dropped nothing that belonged in it."""
    offers, rng = corpus(seed, 400, dim=96, ties=ties)
    tables = random_tables(np.random.default_rng(seed), n_countries=30, n_sectors=40)
    prefilter = PrefilterParams(threshold=1, dims=8, pool=400, max_pool=400, pool_at=0)
    index = OfferIndex.from_supply(
        offers.supply, ids=offers.ids, institution_ids=offers.institution_ids, n_languages=N_LANGUAGES,
        prefilter=prefilter,
    )  # fmt: skip
    demand = random_demand(rng, 1, tables, n_languages=N_LANGUAGES, space=TopicSpace(dim=96, rank=4))
    eligible = rng.random(400) < 0.9
    query = {"demand": demand, "tables": tables, "params": PARAMS, "eligible": eligible, "limit": limit,
             "per_institution": cap}  # fmt: skip
    found = index.search(approximate=True, **query)  # type: ignore[arg-type]
    assert scores_of(found.matches) == ranked(index, approximate=False, **query)
    assert len(found.rows) < int(eligible.sum())  # and it did drop rows: only those were scored exactly


@DETERMINISTIC
@given(seed=st.integers(0, 10_000), width=st.sampled_from([0.0, 0.003, 0.05]))
def test_the_ceiling_at_the_upper_end_holds_for_every_cosine_below_it_even_with_poor_records(
    seed: int, width: float
) -> None:
    """A poor track record can make the context negative, where a higher gate lowers the score:
    the ceiling at an interval's upper end (the second pass's) must hold for every cosine in it."""
    offers, rng = corpus(seed, 300, dim=16, ties=False)
    tables = random_tables(np.random.default_rng(seed), n_countries=30, n_sectors=40)
    demand = random_demand(rng, 1, tables, n_languages=N_LANGUAGES, space=TopicSpace(dim=16, rank=4))
    records = random_records(rng, 300)
    records.topic[:, 2] = records.topic[:, 1]  # every rating 1 of 5: the poorest records
    records.overall[:, 2] = records.overall[:, 1]
    weights = Weights(*(rng.random(6) * [1, 1, 0.02, 0.02, 0.02, 0.02]), track_record=1.0)
    centre = rng.uniform(0.6, 0.95, 300)
    ceiling = score_ceiling(demand, offers.supply, tables, weights, PARAMS, cosine=centre + width,
                            track_neutral=0.5)  # fmt: skip
    for t in np.linspace(-1, 1, 9):
        exact = score_pairs(demand, offers.supply, tables, weights, PARAMS, records=records,
                            cosine=centre + t * width)  # fmt: skip
        assert exact.track_neutral == 0.5
        assert np.all(exact.scores <= ceiling + 1e-12)


def test_pools_halve_per_tenfold_fewer_scanned_rows_down_to_sixteen_per_listed_match() -> None:
    params = PrefilterParams()
    assert params.pool_sizes(1_000_000, 10) == (16384, 16384)
    assert params.pool_sizes(5_000_000, 10) == (16384, 16384)
    assert params.pool_sizes(100_000, 10) == (8192, 8192)
    sizes = [params.pool_sizes(n, 10)[0] for n in (1000, 10_000, 50_000, 100_000, 400_000)]
    assert sizes == sorted(sizes) and sizes[0] == 2048  # a thousandth of the rows: three halvings
    assert PrefilterParams(pool=100, max_pool=100).pool_sizes(1000, 10) == (160, 160)  # 16 * limit
    assert PrefilterParams(pool_at=0).pool_sizes(1000, 10) == (16384, 16384)
