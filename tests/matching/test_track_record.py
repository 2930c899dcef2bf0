"""The track-record factor: shrinkage, neutrality of no record, monotonicity, lookup and reasons."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.naive import naive_track_record
from benchmarks.synthetic import random_demand, random_supply, random_tables
from broker.matching import (
    NEUTRAL,
    FactorParams,
    OfferIndex,
    PairRecords,
    Reason,
    TrackRecordParams,
    TrackRecordTable,
    Weights,
    explain_match,
    match_evidence,
    pair_records,
    ranked_matches,
    score_pairs,
    topic_groups,
    track_record_fit,
)
from broker.matching.prefilter import score_upper_bound
from broker.matching.track_record import COMPLETED, OUTCOMES, RATED, RATING_SUM
from tests.matching.builders import DETERMINISTIC, make_tables, offers, random_records, request
from tests.matching.test_explain import CODES

seeds = st.integers(min_value=0, max_value=2**32 - 1)
track_weights = st.floats(0.0, 1.0)


def problem(seed: int, n: int = 60):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    tables = random_tables(rng, n_countries=30, n_sectors=40)
    supply = random_supply(rng, n, tables, dim=8, n_languages=90, dtype=np.float64).supply
    demand = random_demand(rng, 1, tables, dim=8, n_languages=90, dtype=np.float64)
    return rng, tables, demand, supply


def better(rng: np.random.Generator, records: PairRecords) -> PairRecords:
    """The same records with more completed exchanges, higher ratings or more outcomes reached
    (on the topic, hence overall too, or elsewhere only), each within what the counts allow."""
    topic, overall = records.topic.copy(), records.overall.copy()
    n = len(topic)
    for counts, extra_overall in ((topic, True), (overall, False)):
        more = rng.integers(0, 3, n).astype(np.float64)
        raise_by = np.minimum(rng.uniform(0, 4, n), 5 * counts[:, RATED] - counts[:, RATING_SUM])
        reached = np.minimum(rng.integers(0, 3, n), counts[:, RATED] - counts[:, OUTCOMES])
        for column, step in ((COMPLETED, more), (RATING_SUM, raise_by), (OUTCOMES, reached)):
            counts[:, column] += step
            if extra_overall:  # what improves on the topic improves the provider's totals
                overall[:, column] += step
    return PairRecords(topic, overall)


def test_no_record_is_exactly_the_prior() -> None:
    assert track_record_fit(PairRecords.none(3)).tolist() == [NEUTRAL] * 3
    params = TrackRecordParams(prior=0.6, pseudo_count=3.0)
    assert track_record_fit(PairRecords.none(2), params).tolist() == [0.6, 0.6]


def test_value_agrees_with_the_independent_reference() -> None:
    records = random_records(np.random.default_rng(5), 500)
    naive = [
        naive_track_record(tuple(t), tuple(o)) for t, o in zip(records.topic, records.overall, strict=True)
    ]  # type: ignore[arg-type]
    assert np.abs(track_record_fit(records) - naive).max() < 1e-12


def test_two_exchanges_on_the_topic_rated_four_and_a_half() -> None:
    # two completed on the topic, both reported 4.5/5 and naming an outcome reached, nothing else
    counts = np.array([[2.0, 2.0, 9.0, 2.0]])
    value = track_record_fit(PairRecords(counts, counts))[0]
    rating = (2 * 0.875 + 2) / 6  # (sum of ratings mapped to [0, 1] + k p) / (reports + k)
    delivered = (2 + 2) / 6
    assert value == pytest.approx(0.5 * rating + 0.25 * delivered + 0.25 * delivered)
    elsewhere = track_record_fit(PairRecords(np.zeros((1, 4)), counts))[0]
    assert NEUTRAL < elsewhere < value  # the same record on another topic counts half


@DETERMINISTIC
@given(seed=seeds, w=track_weights)
def test_no_record_is_neutral_not_a_penalty(seed: int, w: float) -> None:
    _, tables, demand, supply = problem(seed)
    without = score_pairs(demand, supply, tables, Weights(track_record=0.0))
    none = score_pairs(demand, supply, tables, Weights(track_record=w))
    zeros = score_pairs(
        demand, supply, tables, Weights(track_record=w), records=PairRecords.none(len(supply))
    )
    assert np.array_equal(none.scores, without.scores)  # bit for bit: the factor adds exactly 0
    assert np.array_equal(zeros.scores, without.scores)
    assert np.all(none.components[6] == NEUTRAL)


@DETERMINISTIC
@given(seed=seeds, w=track_weights)
def test_a_better_record_never_lowers_the_score(seed: int, w: float) -> None:
    rng, tables, demand, supply = problem(seed)
    records = random_records(rng, len(supply))
    improved = better(rng, records)
    weights = Weights(track_record=w)
    before = score_pairs(demand, supply, tables, weights, records=records)
    after = score_pairs(demand, supply, tables, weights, records=improved)
    assert np.all(after.components[6] >= before.components[6] - 1e-12)
    assert np.all(after.scores >= before.scores - 1e-12)
    none = score_pairs(demand, supply, tables, weights)
    # a record whose every rate is at least the prior never scores below no record
    good = PairRecords(improved.topic * 0, improved.overall * 0)
    good.overall[:, COMPLETED] = improved.overall[:, COMPLETED]
    assert np.all(score_pairs(demand, supply, tables, weights, records=good).scores >= none.scores - 1e-12)


@DETERMINISTIC
@given(
    seed=seeds,
    relevance=st.integers(1, 5),
    usefulness=st.integers(1, 5),
    reached=st.booleans(),
    reported=st.booleans(),
    on_topic=st.booleans(),
)
def test_one_exchange_cannot_dominate(
    seed: int, relevance: int, usefulness: int, reached: bool, reported: bool, on_topic: bool
) -> None:
    records = random_records(np.random.default_rng(seed), 200)
    records = PairRecords(records.topic, records.overall)
    step = np.array(
        [1.0, float(reported), reported * (relevance + usefulness) / 2, float(reported and reached)]
    )
    topic = records.topic + (step if on_topic else 0)
    moved = PairRecords(topic, records.overall + step)
    delta = np.abs(track_record_fit(moved) - track_record_fit(records))
    params = TrackRecordParams()
    assert params.max_step == pytest.approx(0.1)
    assert np.all(delta <= params.max_step + 1e-12)
    first = track_record_fit(PairRecords.none(1) if not on_topic else PairRecords(step[None], step[None]))
    assert abs(first[0] - NEUTRAL) <= params.max_step + 1e-12


def test_a_perfect_exchange_never_lowers_the_value() -> None:
    records = random_records(np.random.default_rng(9), 300)
    perfect = np.array([1.0, 1.0, 5.0, 1.0])
    moved = PairRecords(records.topic + perfect, records.overall + perfect)
    assert np.all(track_record_fit(moved) >= track_record_fit(records) - 1e-12)


def test_lookup_by_provider_and_topic_group() -> None:
    # provider 7: group 0 has 2 exchanges rated 4 and 5; overall 3 (one in group 1, unrated)
    stats = np.zeros((2, 3, 4))
    stats[0, 0] = [2, 2, 9, 1]
    stats[0, 1] = [1, 0, 0, 0]
    stats[0, 2] = [3, 2, 9, 1]
    stats[1, 2] = [1, 1, 3, 0]  # provider 9: one exchange on an offer without a sector
    table = TrackRecordTable(np.array([7, 9]), stats)
    got = pair_records(table, np.array([7, 7, 9, 8, 7]), np.array([0, 1, 0, 0, -1]))
    assert got.topic.tolist() == [[2, 2, 9, 1], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert got.overall.tolist() == [[3, 2, 9, 1]] * 2 + [[1, 1, 3, 0], [0, 0, 0, 0], [3, 2, 9, 1]]
    assert len(pair_records(TrackRecordTable(), np.array([7]), np.array([0]))) == 1
    one_request = pair_records(table, np.array([7, 9]), np.array([0]))  # broadcast
    assert one_request.topic[:, COMPLETED].tolist() == [2, 0]
    with pytest.raises(ValueError, match="ascending"):
        TrackRecordTable(np.array([9, 7]), stats)


def test_topic_is_the_group_of_the_first_sector() -> None:
    tables = random_tables(np.random.default_rng(1), n_countries=5, n_sectors=10)
    sectors = np.array([[3, 1], [-1, -1]])
    assert topic_groups(sectors, tables.sectors).tolist() == [int(tables.sectors.group_of[3]), -1]


def test_the_prefilter_bound_holds_with_the_best_records() -> None:
    _, tables, demand, supply = problem(3, n=300)
    perfect = np.tile([20.0, 20.0, 100.0, 20.0], (len(supply), 1))
    weights = Weights(track_record=0.5)
    scored = score_pairs(demand, supply, tables, weights, records=PairRecords(perfect, perfect))
    bound = score_upper_bound(scored.cosine, weights.normalised(), FactorParams())
    assert np.all(bound >= scored.scores - 1e-12)
    assert np.any(scored.components[6] > 0.9)


def test_index_search_ranks_by_the_track_record_table() -> None:
    _, tables, demand, supply = problem(4, n=200)
    ids = np.arange(1, 201)
    institutions = ids % 50 + 1
    index = OfferIndex.from_supply(supply, ids=ids, institution_ids=institutions, n_languages=90)
    group = int(topic_groups(demand.sectors, tables.sectors)[0])
    n_groups = int(tables.sectors.group_of.max()) + 1
    stats = np.zeros((50, n_groups + 1, 4))
    stats[:, n_groups] = [[5, 5, 25, 5]] * 25 + [[5, 5, 5, 0]] * 25  # half excellent, half poor
    if group >= 0:
        stats[:, group] = stats[:, n_groups]
    table = TrackRecordTable(np.arange(1, 51), stats)
    weights = Weights(track_record=0.5)
    plain = index.search(demand, tables, weights=weights, limit=10)
    ranked = index.search(demand, tables, weights=weights, limit=10, track_records=table)
    pooled = index.search(demand, tables, weights=weights, limit=10, track_records=table, approximate=True)
    assert [m.id for m in pooled.matches] == [m.id for m in ranked.matches]
    exact = score_pairs(
        demand, supply, tables, weights, records=pair_records(table, institutions, np.array([group]))
    )
    top = sorted(range(200), key=lambda k: (-exact.scores[k], ids[k]))
    assert ranked.matches[0].id == ids[top[0]]
    assert plain.matches != ranked.matches
    for match in ranked.matches:
        assert sum(match.contributions.values()) == pytest.approx(match.score)


def test_reasons_say_the_record_on_the_topic_elsewhere_or_none() -> None:
    tables, demand, supply = make_tables(), request(), offers({}, {}, {}, {})
    topic = np.array([[2, 2, 9, 1], [0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0]], dtype=np.float64)
    overall = np.array([[3, 2, 9, 1], [4, 2, 8, 0], [0, 0, 0, 0], [1, 0, 0, 0]], dtype=np.float64)
    scored = score_pairs(demand, supply, tables, records=PairRecords(topic, overall))
    got = [explain_match(match_evidence(demand, supply, scored, k, tables), CODES)[-1] for k in range(4)]
    value = [round(float(v), 4) for v in scored.components[6]]
    assert got == [
        Reason("track_record.topic", {"count": 2, "rating": 4.5, "value": value[0]}),
        Reason("track_record.elsewhere", {"count": 4, "rating": 4.0, "value": value[1]}),
        Reason("track_record.none", {"value": 0.5}),
        Reason("track_record.topic_unrated", {"count": 1, "value": value[3]}),
    ]
    matches = ranked_matches(scored, np.arange(4), np.arange(4))
    assert matches[2].contributions["track_record"] == 0.0
    assert matches[0].contributions["track_record"] > 0
