"""The suggestion scores' numeric core against plain loops and simple cases."""

from __future__ import annotations

import numpy as np
import pytest

from broker.matching.labels import (
    Calibrator,
    Temperatures,
    cosine_std,
    fit_calibrator,
    knn_votes,
    prototype_shares,
    raw_scores,
)


def _unit(rows: np.ndarray) -> np.ndarray:
    return np.asarray(rows / np.linalg.norm(rows, axis=1, keepdims=True), dtype=np.float32)


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    return _unit(rng.normal(size=(5, 8))), _unit(rng.normal(size=(30, 8))), rng.random((30, 4)) < 0.3


def test_knn_votes_match_a_plain_loop(data: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    queries, pool, labels = data
    got = knn_votes(queries, pool, labels, k=6, tau=0.1)
    for q, row in zip(queries, got, strict=True):
        sims = pool.astype(np.float64) @ q
        top = np.argsort(-sims)[:6]
        weights = np.exp((sims[top] - sims[top].max()) / 0.1)
        expected = (weights[:, None] * labels[top]).sum(axis=0) / weights.sum()
        np.testing.assert_allclose(row, expected, atol=1e-9)


def test_leave_one_out_never_counts_the_query_itself() -> None:
    pool = _unit(np.eye(3, 4) + 0.01)
    labels = np.eye(3, dtype=bool)
    alone = knn_votes(pool, pool, labels, k=1, exclude_self=True)
    assert not (alone * labels).any()  # each row's only vote comes from another row


def test_knn_votes_of_an_empty_pool_are_zero() -> None:
    votes = knn_votes(_unit(np.ones((2, 3))), np.zeros((0, 3), np.float32), np.zeros((0, 5), bool))
    assert votes.shape == (2, 5) and not votes.any()


def test_background_texts_take_probability_from_the_codes(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    queries, refs = data[0], data[1][:4]
    plain = prototype_shares(queries, refs, np.zeros((0, 8), np.float32), tau=0.1)
    with_background = prototype_shares(queries, refs, queries, tau=0.1)  # each query is a background text
    np.testing.assert_allclose(plain.sum(axis=1), 1.0)
    assert (with_background.sum(axis=1) < plain.sum(axis=1)).all()


def test_raw_scores_are_in_range_and_fall_back_to_prototypes(
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    queries, pool, labels = data
    refs, background = pool[:4], pool[4:6]
    raw = raw_scores(queries, pool=pool, labels=labels, refs=refs, background=background)
    assert raw.shape == (5, 4) and (raw >= 0).all() and (raw <= 1).all()
    empty = raw_scores(
        queries,
        pool=pool[:0],
        labels=labels[:0],
        refs=refs,
        background=background,
        temperatures=Temperatures(),
    )
    np.testing.assert_allclose(empty, prototype_shares(queries, refs, background))


def test_calibrator_recovers_a_calibrated_score() -> None:
    rng = np.random.default_rng(3)
    raw = rng.uniform(0.02, 0.98, size=(4000, 1))
    gold = rng.random((4000, 1)) < raw  # the raw score is already the probability
    fitted = fit_calibrator(raw, gold, top=1)
    assert fitted.slope == pytest.approx(1.0, abs=0.15) and fitted.intercept == pytest.approx(0.0, abs=0.15)
    confidences = fitted(np.array([0.1, 0.5, 0.9]))
    assert (np.diff(confidences) > 0).all()


def test_calibrator_without_enough_data_is_the_identity() -> None:
    assert fit_calibrator(np.zeros((0, 3)), np.zeros((0, 3), bool)) == Calibrator()
    assert Calibrator()(np.array([0.25]))[0] == pytest.approx(0.25)


def test_temperatures_scale_with_the_cosine_spread() -> None:
    narrow, wide = Temperatures.for_std(0.024), Temperatures.for_std(0.12)
    assert wide.knn == pytest.approx(5 * narrow.knn) and wide.proto == pytest.approx(5 * narrow.proto)
    assert cosine_std(_unit(np.eye(3))) == pytest.approx(0.0)
