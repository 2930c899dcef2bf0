"""Weights, the combined score, and ranking (tie-break, diversity cap, eligibility)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from broker.matching import FACTORS, Weights, rank, ranked_matches, score_pairs
from tests.matching.builders import BRAZIL, IRRIGATION, KENYA, VIDEO, make_tables, offers, request, unit

TABLES = make_tables()


def test_weights_are_normalised_in_factor_order() -> None:
    weights = Weights(semantic=2, sector=1, region=1, modality=0, language=0, cost=0, track_record=0.2)
    assert weights.normalised().tolist() == [0.5, 0.25, 0.25, 0.0, 0.0, 0.0, 0.05]
    assert list(weights.as_dict()) == list(FACTORS)
    # the track record's weight is relative to the six others, which sum to 1
    assert Weights().normalised()[:6].sum() == pytest.approx(1.0)
    assert Weights().normalised()[6] == pytest.approx(0.05)


@pytest.mark.parametrize("bad", [{"semantic": -0.1}, {"cost": math.nan}, {"sector": math.inf}])
def test_weights_reject_negative_or_non_finite_values(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="weights"):
        Weights(**bad)


def test_weights_reject_all_zero() -> None:
    with pytest.raises(ValueError, match="not all of the first six zero"):
        Weights.from_mapping({})
    with pytest.raises(ValueError, match="not all of the first six zero"):
        Weights.from_mapping({"track_record": 1.0})


def test_weights_from_a_stored_profile() -> None:
    assert Weights.from_mapping({"semantic": 1, "cost": 1}).as_dict()["cost"] == 0.5
    with pytest.raises(ValueError, match="unknown factors"):
        Weights.from_mapping({"semantic": 1, "popularity": 1})


def test_score_is_the_topical_part_plus_the_gated_contextual_part() -> None:
    supply = offers(
        {},
        {
            "embedding": unit(0.0, 1.0),
            "sectors": [IRRIGATION],
            "country": BRAZIL,
            "modalities": [VIDEO],
            "languages": [9],
        },
        {"country": KENYA, "cost_usd": 90_000.0},
    )
    scored = score_pairs(request(), supply, TABLES)
    assert scored.components.shape == (7, 3)
    w, c = Weights().normalised(), scored.components
    expected = w[:2] @ c[:2] + scored.gate * (w[2:6] @ c[2:6] + w[6] * (c[6] - 0.5))
    assert scored.scores == pytest.approx(expected)
    assert np.all((scored.scores >= 0) & (scored.scores <= 1))
    assert np.all((scored.gate >= 0) & (scored.gate <= 1))
    assert scored.scores[0] > scored.scores[2] > scored.scores[1]
    # the second offer shares no word of meaning and no sector: off topic, so no contextual credit
    assert scored.gate[1] == 0.0 and scored.scores[1] == pytest.approx(w[:2] @ c[:2, 1])
    matches = ranked_matches(scored, np.array([2, 0, 1]), ids=np.array([10, 11, 12]))
    assert [m.id for m in matches] == [12, 10, 11] and [m.rank for m in matches] == [1, 2, 3]
    for match in matches:
        assert sum(match.contributions.values()) == pytest.approx(match.score)
        assert 0 <= match.gate <= 1 and 0 <= match.relevance <= 1
    assert matches[0].components["region"] == 1.0


def test_rank_breaks_ties_by_id_not_by_position() -> None:
    scores = np.array([0.5, 0.9, 0.5, 0.5, 0.1])
    ids = np.array([40, 7, 30, 35, 1])
    assert rank(scores, ids=ids, limit=3).tolist() == [1, 2, 3]
    reordered = np.array([3, 0, 4, 1, 2])
    assert ids[reordered][rank(scores[reordered], ids=ids[reordered], limit=3)].tolist() == [7, 30, 35]


def test_rank_caps_results_per_institution_and_backfills() -> None:
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    institutions = np.array([1, 1, 1, 2, 1])
    positions = rank(scores, ids=np.arange(5), institution_ids=institutions, limit=3, per_institution=2)
    assert positions.tolist() == [0, 1, 3]
    assert rank(
        scores, ids=np.arange(5), institution_ids=institutions, limit=3, per_institution=None
    ).tolist() == [0, 1, 2]


def test_rank_widens_its_window_when_one_institution_dominates_the_top() -> None:
    n = 5_000
    scores = np.linspace(1.0, 0.0, n)
    institutions = np.where(np.arange(n) < 4_000, 1, np.arange(n))  # the top 4,000 share one institution
    positions = rank(scores, ids=np.arange(n), institution_ids=institutions, limit=5, per_institution=2)
    assert positions.tolist() == [0, 1, 4_000, 4_001, 4_002]


def test_rank_respects_the_eligibility_mask_and_returns_fewer_when_needed() -> None:
    scores = np.array([0.9, 0.8, 0.7])
    eligible = np.array([False, True, False])
    assert rank(scores, ids=np.arange(3), eligible=eligible, limit=10).tolist() == [1]
    assert rank(scores, ids=np.arange(3), eligible=np.zeros(3, bool)).tolist() == []
    assert rank(scores, ids=np.arange(3), limit=0).tolist() == []
    assert rank(np.zeros(0), ids=np.zeros(0, dtype=np.int64)).tolist() == []
    with pytest.raises(ValueError, match="per_institution"):
        rank(scores, ids=np.arange(3), per_institution=0)
