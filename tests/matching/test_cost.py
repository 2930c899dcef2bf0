"""The exchange cost estimate and the cost factor against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from broker.matching import CostParams, airfare_usd, cost_fit, estimate_exchange_cost, pair_distance_km
from tests.matching.builders import BRAZIL, EXPERT_VISIT, KENYA, STUDY_TOUR, VIDEO, WORKSHOP, make_tables

PARAMS = CostParams()
TABLES = make_tables()


def cost(
    modality: int,
    *,
    people: float = math.nan,
    km: float = 5_000.0,
    shared: bool = True,
    stated: float = math.nan,
) -> float:
    value = estimate_exchange_cost(
        np.array(modality), participants=people, distance_km=km, shared_language=shared, cost_usd=stated,
        modalities=TABLES.modalities, params=PARAMS,
    )  # fmt: skip
    return float(value)


def test_airfare_is_linear_in_distance() -> None:
    assert airfare_usd([0.0, 8_000.0], PARAMS).tolist() == pytest.approx([200.0, 1_080.0])


def test_study_tour_moves_the_typical_group_of_participants() -> None:
    # 2,000 fixed + 10 x 100 + 10 travellers x (200 + 0.11 x 5,000 airfare + 5 days x 200)
    assert cost(STUDY_TOUR) == pytest.approx(2_000 + 1_000 + 10 * (200 + 550 + 1_000))
    assert cost(STUDY_TOUR, people=4) == pytest.approx(2_000 + 400 + 4 * 1_750)


def test_expert_visit_moves_the_experts_only() -> None:
    assert cost(EXPERT_VISIT, people=30) == pytest.approx(1_000 + 2 * (200 + 550 + 5 * 250))


def test_virtual_modality_has_no_travel_and_interpretation_when_no_language_is_shared() -> None:
    assert cost(VIDEO) == pytest.approx(300.0)
    assert cost(VIDEO, shared=False) == pytest.approx(300.0 + 400.0)
    assert cost(WORKSHOP, shared=False) == pytest.approx(1_000 + 10 * 50 + 2 * 300)


def test_stated_cost_replaces_delivery_but_adds_the_requesting_participants_travel() -> None:
    assert cost(STUDY_TOUR, people=4, stated=8_000) == pytest.approx(8_000 + 4 * 1_750)
    assert cost(EXPERT_VISIT, stated=8_000) == pytest.approx(8_000)  # experts' travel is the offer's
    assert cost(EXPERT_VISIT, stated=8_000, shared=False) == pytest.approx(8_000 + 5 * 500)


def test_cost_broadcasts_over_modalities_and_distances() -> None:
    grid = estimate_exchange_cost(
        np.array([STUDY_TOUR, VIDEO])[None, :], participants=np.nan, distance_km=np.array([[0.0], [5_000.0]]),
        shared_language=True, cost_usd=np.nan, modalities=TABLES.modalities, params=PARAMS,
    )  # fmt: skip
    assert grid.shape == (2, 2)
    assert grid[1].tolist() == pytest.approx([cost(STUDY_TOUR), cost(VIDEO)])
    assert grid[0, 0] == pytest.approx(3_000 + 10 * (200 + 1_000))


@pytest.mark.parametrize(
    ("amount", "budget", "expected"),
    [
        (0.0, 25_000.0, 1.0),
        (12_500.0, 25_000.0, 0.8),
        (25_000.0, 25_000.0, 0.6),
        (37_500.0, 25_000.0, 0.6 * math.exp(-1.0)),
        (0.0, math.nan, 1.0),
        (25_000.0, math.nan, 0.5),
        (75_000.0, math.nan, 0.25),
    ],
)
def test_cost_fit_values(amount: float, budget: float, expected: float) -> None:
    assert float(cost_fit(amount, budget, PARAMS)) == pytest.approx(expected)
    assert cost_fit(np.array([amount]), np.array([budget]), PARAMS).tolist() == pytest.approx([expected])


def test_cost_fit_is_continuous_and_non_increasing() -> None:
    costs = np.linspace(0.0, 200_000.0, 20_001)
    for budget in (np.nan, 1_000.0, 25_000.0, 150_000.0):
        fit = cost_fit(costs, budget, PARAMS)
        assert np.all(np.diff(fit) <= 0)
        assert np.all((fit >= 0) & (fit <= 1))
    for budget in (1_000.0, 25_000.0):
        around = cost_fit(np.array([budget * (1 - 1e-9), budget, budget * (1 + 1e-9)]), budget, PARAMS)
        assert np.ptp(around) < 1e-8  # no jump at the budget


def test_pair_distance_reads_the_matrix_and_defaults_for_unknown_countries() -> None:
    matrix = TABLES.countries.distance_km
    one, many = np.array([KENYA]), np.array([BRAZIL, KENYA, -1])
    expected = [matrix[KENYA, BRAZIL], 0.0, PARAMS.unknown_distance_km]
    assert pair_distance_km(one, many, TABLES.countries, PARAMS).tolist() == pytest.approx(expected)
    assert pair_distance_km(many, one, TABLES.countries, PARAMS).tolist() == pytest.approx(expected)
    assert pair_distance_km(many, many[::-1], TABLES.countries, PARAMS).tolist() == pytest.approx(
        [PARAMS.unknown_distance_km, 0.0, PARAMS.unknown_distance_km]
    )
    assert pair_distance_km(np.array([-1]), many, TABLES.countries, PARAMS).tolist() == pytest.approx(
        [PARAMS.unknown_distance_km] * 3
    )
