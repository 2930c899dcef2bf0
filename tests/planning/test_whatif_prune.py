"""What-if cells from a plan, candidate pruning, and the checks on a problem's input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from broker.planning import (
    NO_WINDOW,
    Floor,
    PlanningInputError,
    PlanningProblem,
    Selection,
    prune,
    solve,
    unmet_cells,
)
from tests.planning.builders import DETERMINISTIC, random_problem, small_problems


def test_unmet_cells_count_unserved_requests_capped_by_the_new_offers_capacity() -> None:
    problem = PlanningProblem.create(
        n_requests=6, request=[0, 1], offer=[0, 0], score=[0.9, 0.8], capacity=[None], per_request=1
    )
    plan = Selection(lines=np.array([0, 1], dtype=np.intp), objective=1.7)
    health_africa, water_asia = ("health", "africa"), ("water", "asia")
    cells = [health_africa, health_africa, health_africa, health_africa, water_asia, None]
    gaps = unmet_cells(problem, plan, cells=cells, capacity=1)
    assert [(g.cell, g.unserved, g.open, g.would_serve) for g in gaps] == [
        (health_africa, 2, 2, 1),
        (water_asia, 1, 1, 1),
    ]
    gaps = unmet_cells(problem, plan, cells=cells, capacity=5)
    assert [(g.cell, g.would_serve) for g in gaps] == [(health_africa, 2), (water_asia, 1)]


def test_with_k_lines_a_request_short_of_k_is_open_but_not_unserved() -> None:
    problem = PlanningProblem.create(
        n_requests=2, request=[0, 1], offer=[0, 0], score=[0.9, 0.8], capacity=[None], per_request=2
    )
    plan = Selection(lines=np.array([0], dtype=np.intp), objective=0.9)
    (gap,) = unmet_cells(problem, plan, cells=["c", "c"], capacity=3)
    assert (gap.unserved, gap.open, gap.would_serve) == (1, 2, 2)


def test_unmet_cells_want_one_cell_per_request() -> None:
    problem = PlanningProblem.create(n_requests=2, request=[0], offer=[0], score=[0.5], capacity=[1])
    with pytest.raises(PlanningInputError):
        unmet_cells(problem, Selection(np.empty(0, np.intp), 0.0), cells=["c"], capacity=1)


def test_prune_keeps_each_requests_best_offers_and_each_pairs_cheapest_best_windows() -> None:
    problem = PlanningProblem.create(
        n_requests=1,
        request=[0, 0, 0, 0, 0, 0],
        offer=[0, 0, 0, 1, 2, 2],
        window=[0, 1, -1, 0, 0, 1],
        score=[0.9, 0.9, 0.7, 0.8, 0.5, 0.6],
        cost_usd=[30, 10, 0, 5, 1, 1],
        capacity=[None, None, None],
        envelope_usd=[None, 20],
    )
    # Offers 0 (0.9) and 1 (0.8) are the best two; offer 0's best two lines are window 1 (cheaper),
    # then window 0.
    assert prune(problem, offers_per_request=2, windows_per_pair=2).tolist() == [0, 1, 3]
    assert prune(problem, offers_per_request=1, windows_per_pair=1).tolist() == [1]


def test_prune_drops_only_lines_no_plan_can_take_when_unbounded() -> None:
    problem = PlanningProblem.create(
        n_requests=2,
        request=[0, 0, 1],
        offer=[0, 1, 1],
        window=[0, 0, NO_WINDOW],
        score=[0.9, 0.8, 0.7],
        cost_usd=[50, 5, 0],
        capacity=[None, 0],
        envelope_usd=[20],
    )  # line 0 costs more than its window holds, offer 1 has no capacity
    assert prune(problem).tolist() == []


@DETERMINISTIC
@given(small_problems())
def test_lossless_pruning_keeps_the_optimum(problem: PlanningProblem) -> None:
    full, pruned = solve(problem), solve(problem.restrict(prune(problem)))
    assert full.status == pruned.status
    if full.selection is not None:
        assert pruned.selection is not None
        assert pruned.selection.objective == pytest.approx(full.selection.objective, abs=1e-6)


def test_prune_limits_offers_per_request_and_lines_per_pair_on_a_large_problem() -> None:
    problem = random_problem(5, lines_per_request=30)
    kept = prune(problem, offers_per_request=5, windows_per_pair=2)
    pairs: dict[tuple[int, int], int] = {}
    for r, o in zip(problem.request[kept].tolist(), problem.offer[kept].tolist(), strict=True):
        pairs[r, o] = pairs.get((r, o), 0) + 1
    assert max(pairs.values()) <= 2
    offers = np.bincount([r for r, _ in pairs], minlength=problem.n_requests)
    assert offers.max() <= 5
    for r in range(problem.n_requests):  # each request's best takeable line survives
        mine = np.flatnonzero((problem.request == r) & (problem.capacity[problem.offer] != 0))
        charged = problem.charged_usd()[mine]
        mine = mine[
            charged
            <= np.where(problem.window[mine] >= 0, problem.envelope_usd[problem.window[mine]], 0) + 1e-9
        ]
        if mine.size:
            assert problem.score[kept[problem.request[kept] == r]].max() == problem.score[mine].max()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"score": [1.5]}, "score"),
        ({"offer": [3]}, "offer"),
        ({"window": [2]}, "window"),
        ({"cost_usd": [-1]}, "cost_usd"),
        ({"capacity": [-2]}, "capacity"),
        ({"per_request": 0}, "per_request"),
        (
            {"request": [0, 0], "offer": [0, 0], "window": [0, 0], "score": [0.1, 0.2], "cost_usd": [1, 1]},
            "twice",
        ),
        ({"floors": [Floor("region", ("a",), min_served=1)]}, "one label per request"),
    ],
)
def test_a_malformed_problem_is_refused(overrides: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "n_requests": 2,
        "request": [0],
        "offer": [0],
        "window": [0],
        "score": [0.5],
        "cost_usd": [1.0],
        "capacity": [1],
        "envelope_usd": [10.0],
    }
    with pytest.raises(PlanningInputError, match=message):
        PlanningProblem.create(**(arguments | overrides))  # type: ignore[arg-type]


def test_a_floor_sets_exactly_one_of_count_and_share() -> None:
    with pytest.raises(PlanningInputError):
        Floor("region", ("a",))
    with pytest.raises(PlanningInputError):
        Floor("region", ("a",), min_served=1, min_share=0.5)
    with pytest.raises(PlanningInputError):
        Floor("region", ("a",), min_share=0.0)
