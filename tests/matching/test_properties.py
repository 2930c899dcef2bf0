"""Monotonicity and range properties of the score, checked with hypothesis (derandomised)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.synthetic import random_demand, random_supply, random_tables
from broker.matching import (
    CountryTables,
    DemandArrays,
    FactorParams,
    Fit,
    MatchTables,
    SupplyArrays,
    Weights,
    fit_labels,
    rank,
    ranked_matches,
    score_pairs,
)
from tests.matching.builders import DETERMINISTIC, take

seeds = st.integers(min_value=0, max_value=2**32 - 1)
weights = (
    st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6)
    .filter(lambda w: sum(w) > 0.01)
    .map(lambda w: Weights(*w))
)


def problem(seed: int, flat_distance: bool = False) -> tuple[MatchTables, DemandArrays, SupplyArrays]:
    rng = np.random.default_rng(seed)
    tables = random_tables(rng, n_countries=30, n_sectors=40)
    if flat_distance:  # all else equal when an offer moves: the same distance everywhere
        countries = tables.countries
        flat = np.full_like(countries.distance_km, 3_000.0)
        tables = replace(tables, countries=replace(countries, distance_km=flat))
    supply = random_supply(rng, 40, tables, dim=8, n_languages=90, dtype=np.float64).supply
    return tables, random_demand(rng, 1, tables, dim=8, n_languages=90, dtype=np.float64), supply


def with_supply(supply: SupplyArrays, **changes: np.ndarray) -> SupplyArrays:
    return take(supply, np.arange(len(supply)), **changes)


@DETERMINISTIC
@given(seed=seeds, w=weights)
def test_scores_and_components_stay_in_the_unit_interval(seed: int, w: Weights) -> None:
    tables, demand, supply = problem(seed)
    many = random_demand(
        np.random.default_rng(seed), len(supply), tables, dim=8, n_languages=90, dtype=np.float64
    )
    for scored in (
        score_pairs(demand, supply, tables, w),
        score_pairs(many, take(supply, [0]), tables, w),
        score_pairs(many, supply, tables, w),
    ):
        assert np.all((scored.scores >= 0) & (scored.scores <= 1))
        assert np.all((scored.components >= 0) & (scored.components <= 1))


@DETERMINISTIC
@given(seed=seeds, w=weights, factor=st.floats(0.0, 1.0))
def test_lower_stated_cost_never_lowers_the_score(seed: int, w: Weights, factor: float) -> None:
    tables, demand, supply = problem(seed)
    stated = np.where(
        np.isnan(supply.cost_usd),
        np.random.default_rng(seed).uniform(0, 50_000, len(supply)),
        supply.cost_usd,
    )
    before = score_pairs(demand, with_supply(supply, cost_usd=stated), tables, w).scores
    after = score_pairs(demand, with_supply(supply, cost_usd=stated * factor), tables, w).scores
    assert np.all(after >= before - 1e-12)


@DETERMINISTIC
@given(seed=seeds, w=weights, factor=st.floats(0.0, 1.0))
def test_shorter_distances_never_lower_the_score(seed: int, w: Weights, factor: float) -> None:
    tables, demand, supply = problem(seed)
    nearer = replace(
        tables, countries=replace(tables.countries, distance_km=tables.countries.distance_km * factor)
    )
    assert np.all(
        score_pairs(demand, supply, nearer, w).scores >= score_pairs(demand, supply, tables, w).scores - 1e-12
    )


@DETERMINISTIC
@given(seed=seeds, w=weights, pick=st.integers(0, 13))
def test_adding_the_requested_modality_never_lowers_the_score(seed: int, w: Weights, pick: int) -> None:
    tables, demand, supply = problem(seed)
    preferred = [m for m in range(14) if int(demand.modalities[0]) >> m & 1] or list(range(14))
    added = supply.modalities | np.uint16(1 << preferred[pick % len(preferred)])
    before = score_pairs(demand, supply, tables, w).scores
    after = score_pairs(demand, with_supply(supply, modalities=added), tables, w).scores
    assert np.all(after >= before - 1e-12)


@DETERMINISTIC
@given(seed=seeds, w=weights)
def test_moving_an_offer_into_the_requests_sub_region_never_lowers_the_score(seed: int, w: Weights) -> None:
    tables, demand, supply = problem(seed, flat_distance=True)
    countries: CountryTables = tables.countries
    home = int(demand.country[0]) if demand.country[0] >= 0 else 0
    demand = take(demand, [0], country=np.array([home]))
    inside = np.flatnonzero(countries.subregion_of == countries.subregion_of[home])
    outside = countries.subregion_of[supply.country] != countries.subregion_of[home]
    rng = np.random.default_rng(seed)
    moved = np.where(outside, rng.choice(inside, len(supply)), supply.country)
    before = score_pairs(demand, supply, tables, w).scores
    after = score_pairs(demand, with_supply(supply, country=moved), tables, w).scores
    assert np.all(after >= before - 1e-12)


@DETERMINISTIC
@given(seed=seeds, w=weights, which=st.integers(0, 1_000))
def test_adding_a_shared_language_never_lowers_the_score(seed: int, w: Weights, which: int) -> None:
    tables, demand, supply = problem(seed)
    words = demand.languages[0]
    codes = [64 * k + b for k, word in enumerate(words.tolist()) for b in range(64) if word >> b & 1]
    code = codes[which % len(codes)]
    added = supply.languages.copy()
    added[:, code // 64] |= np.uint64(1 << (code % 64))
    before = score_pairs(demand, supply, tables, w).scores
    after = score_pairs(demand, with_supply(supply, languages=added), tables, w).scores
    assert np.all(after >= before - 1e-12)


@DETERMINISTIC
@given(seed=seeds, w=weights, boost=st.floats(0.0, 1.0))
def test_closer_meaning_never_lowers_the_score(seed: int, w: Weights, boost: float) -> None:
    tables, demand, supply = problem(seed)
    closer = (1 - boost) * supply.embedding + boost * demand.embedding[0]
    closer /= np.linalg.norm(closer, axis=1, keepdims=True)
    before = score_pairs(demand, supply, tables, w)
    after = score_pairs(demand, with_supply(supply, embedding=closer), tables, w)
    raised = after.cosine >= before.cosine  # normalising can lower a cosine only where it was high
    assert np.all(after.scores[raised] >= before.scores[raised] - 1e-12)


@DETERMINISTIC
@given(seed=seeds, w=weights, pick=st.integers(0, 39))
def test_an_off_topic_offer_that_is_near_cheap_and_shares_a_language_is_never_a_good_fit(
    seed: int, w: Weights, pick: int
) -> None:
    tables, demand, supply = problem(seed)
    params = FactorParams()
    home = int(demand.country[0]) if demand.country[0] >= 0 else 0
    demand = take(demand, [0], country=np.array([home]))
    # a different topic: an embedding opposite to the request's, sectors of no common group
    groups = tables.sectors.group_of
    wanted = {int(groups[s]) for s in demand.sectors[0] if s >= 0}
    other = next((s for s in range(len(groups)) if int(groups[s]) not in wanted), 0)
    sectors = supply.sectors.copy()
    sectors[pick] = -1
    sectors[pick, 0] = other
    embedding = supply.embedding.copy()
    embedding[pick] = -demand.embedding[0]
    country, cost = supply.country.copy(), supply.cost_usd.copy()
    country[pick], cost[pick] = home, 0.0
    languages, modalities = supply.languages.copy(), supply.modalities.copy()
    languages[pick] = demand.languages[0]
    modalities[pick] = np.uint16((1 << 14) - 1)
    tempting = with_supply(
        supply,
        embedding=embedding,
        sectors=sectors,
        country=country,
        cost_usd=cost,
        languages=languages,
        modalities=modalities,
    )
    scored = score_pairs(demand, tempting, tables, w, params)
    assert scored.gate[pick] == 0.0
    assert fit_labels(scored.scores, scored.relevance)[pick] == Fit.weak


@pytest.mark.parametrize("n_offers", [0, 1])
def test_zero_and_one_candidates_are_scored(n_offers: int) -> None:
    tables, demand, supply = problem(7)
    few = take(supply, np.arange(n_offers, dtype=np.intp))
    scored = score_pairs(demand, few, tables, Weights())
    assert len(scored) == n_offers and scored.relevance.shape == scored.gate.shape == (n_offers,)
    assert len(fit_labels(scored.scores, scored.relevance)) == n_offers


@DETERMINISTIC
@given(seed=seeds, w=weights, n=st.integers(0, 1))
def test_zero_and_one_candidates_score_rank_and_explain_on_either_side(seed: int, w: Weights, n: int) -> None:
    tables, demand, supply = problem(seed)
    few_offers = take(supply, np.arange(n))
    few_requests = random_demand(
        np.random.default_rng(seed), n, tables, dim=8, n_languages=90, dtype=np.float64
    )
    for scored in (
        score_pairs(demand, few_offers, tables, w),  # offers for a request, POST /match
        score_pairs(few_requests, take(supply, [0]), tables, w),  # requests for an offer
    ):
        assert scored.scores.shape == (n,) and scored.components.shape == (7, n)
        assert np.all((scored.scores >= 0) & (scored.scores <= 1))
        ids = np.arange(1, n + 1)
        positions = rank(scored.scores, ids=ids, institution_ids=ids, limit=10)
        matches = ranked_matches(scored, positions, ids)
        assert [m.rank for m in matches] == list(range(1, n + 1))
