"""The exact plan: equal to brute force on small problems, feasible on large ones, honest statuses."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from scipy.optimize import OptimizeResult

import broker.planning.solver as solver_module
from broker.planning import Floor, PlanningProblem, PlanStatus, greedy_selection, meets_floors, solve
from tests.planning.builders import DETERMINISTIC, brute_force, random_problem, small_problems, violations


@DETERMINISTIC
@given(small_problems())
def test_plan_objective_equals_brute_force(problem: PlanningProblem) -> None:
    best = brute_force(problem)
    solution = solve(problem)
    if best is None:
        assert solution.status == PlanStatus.INFEASIBLE
        assert solution.selection is None
        assert solution.shortfalls, "an infeasible plan names the floors that fail"
        return
    assert solution.status == PlanStatus.OPTIMAL
    assert solution.selection is not None
    assert violations(problem, solution.selection.lines) == []
    assert solution.selection.objective == pytest.approx(best, abs=1e-6)
    assert solution.bound is not None and solution.bound >= best - 1e-6


@DETERMINISTIC
@given(small_problems())
def test_greedy_is_feasible_and_never_beats_the_plan(problem: PlanningProblem) -> None:
    greedy = greedy_selection(problem)
    assert violations(problem, greedy.lines, floors=False) == []
    assert greedy.objective == pytest.approx(float(problem.score[greedy.lines].sum()))
    if meets_floors(problem, greedy.lines):
        solution = solve(problem)
        assert solution.selection is not None
        assert greedy.objective <= solution.selection.objective + 1e-9


@pytest.mark.parametrize(("seed", "per_request"), [(0, 1), (1, 1), (2, 2), (3, 3)])
def test_plan_on_a_large_problem_exceeds_no_capacity_envelope_or_k(seed: int, per_request: int) -> None:
    # Tight envelopes make these hard knapsacks: HiGHS may stop at the limit, and what it returns
    # must be feasible all the same, with a bound no feasible plan (the greedy one) exceeds.
    problem = random_problem(seed, per_request=per_request)
    solution = solve(problem, time_limit_s=3)
    assert solution.selection is not None
    assert violations(problem, solution.selection.lines) == []
    assert solution.bound is not None and solution.bound >= solution.selection.objective - 1e-6
    greedy = greedy_selection(problem)
    assert violations(problem, greedy.lines) == []
    assert greedy.objective <= solution.bound + 1e-6


def test_plan_with_floors_on_a_large_problem_meets_them() -> None:
    base = random_problem(4)
    rng = np.random.default_rng(4)
    regions = tuple(str(g) for g in rng.choice(["africa", "asia", "americas"], base.n_requests))
    problem = PlanningProblem.create(
        n_requests=base.n_requests,
        request=base.request,
        offer=base.offer,
        window=base.window,
        score=base.score,
        cost_usd=base.cost_usd,
        capacity=[None if c < 0 else int(c) for c in base.capacity],
        envelope_usd=base.envelope_usd.tolist(),
        floors=[Floor("region", regions, min_share=0.3)],
    )
    solution = solve(problem, time_limit_s=3)
    assert solution.selection is not None
    assert violations(problem, solution.selection.lines) == []


def test_a_request_takes_an_offer_once_whichever_window_funds_it() -> None:
    problem = PlanningProblem.create(
        n_requests=1,
        request=[0, 0, 0],
        offer=[0, 0, 1],
        window=[0, 1, -1],
        score=[0.9, 0.8, 0.1],
        cost_usd=[1, 1, 0],
        capacity=[None, None],
        envelope_usd=[None, None],
        per_request=3,
    )
    solution = solve(problem)
    assert solution.selection is not None
    assert solution.selection.lines.tolist() == [0, 2]


def test_a_floor_no_plan_meets_is_reported_with_its_group() -> None:
    problem = PlanningProblem.create(
        n_requests=4,
        request=[0, 1, 2, 3],
        offer=[0, 0, 0, 1],
        score=[0.9, 0.8, 0.7, 0.6],
        capacity=[1, 1],
        floors=[Floor("region", ("asia", "africa", "africa", "asia"), min_served=2)],
    )
    solution = solve(problem)
    assert solution.status == PlanStatus.INFEASIBLE
    assert [(s.floor, s.group, s.required, s.max_servable) for s in solution.shortfalls] == [
        ("region", "africa", 2, 1)
    ]


def test_floors_met_alone_but_not_together_are_reported_jointly() -> None:
    # One offer of capacity 1: either floor alone can be met, not both.
    problem = PlanningProblem.create(
        n_requests=2,
        request=[0, 1],
        offer=[0, 0],
        score=[0.5, 0.5],
        capacity=[1],
        floors=[
            Floor("region", ("asia", None), min_served=1),
            Floor("sector", (None, "health"), min_share=1.0),
        ],
    )
    solution = solve(problem)
    assert solution.status == PlanStatus.INFEASIBLE
    (shortfall,) = solution.shortfalls
    assert (shortfall.floor, shortfall.group, shortfall.max_servable) == ("sector", "health", None)
    assert shortfall.jointly_with == (("region", "asia"),)


def test_a_floor_larger_than_its_group_is_infeasible_not_capped() -> None:
    problem = PlanningProblem.create(
        n_requests=2, request=[0, 1], offer=[0, 1], score=[0.5, 0.5], capacity=[None, None],
        floors=[Floor("region", ("asia", "asia"), min_served=3)],
    )  # fmt: skip
    solution = solve(problem)
    assert solution.status == PlanStatus.INFEASIBLE
    assert solution.shortfalls[0].max_servable == 2


def test_a_run_stopped_by_the_time_limit_is_not_called_optimal() -> None:
    # Many tight envelopes over the same lines: a multi-dimensional knapsack HiGHS cannot close in 50 ms.
    rng = np.random.default_rng(7)
    n_requests, n_windows = 1500, 6
    request = np.repeat(np.arange(n_requests), n_windows)
    window = np.tile(np.arange(n_windows), n_requests)
    problem = PlanningProblem.create(
        n_requests=n_requests,
        request=request,
        offer=np.arange(request.size),
        window=window,
        score=rng.uniform(0.2, 1.0, request.size),
        cost_usd=rng.uniform(1, 100, request.size),
        capacity=[1] * request.size,
        envelope_usd=[10_000.0] * n_windows,
    )
    solution = solve(problem, time_limit_s=0.05)
    assert solution.status == PlanStatus.TIME_LIMIT
    if solution.selection is not None:
        assert violations(problem, solution.selection.lines) == []
        assert solution.bound is not None and solution.bound >= solution.selection.objective - 1e-6


def test_the_solver_limit_status_maps_to_time_limit_with_its_gap(monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped(*_args: object, **_kwargs: object) -> OptimizeResult:
        return OptimizeResult(
            status=1, x=np.array([1.0, 0.0]), fun=-0.5, mip_gap=0.25, mip_dual_bound=-0.625, message="limit"
        )

    monkeypatch.setattr(solver_module, "milp", stopped)
    problem = PlanningProblem.create(
        n_requests=1, request=[0, 0], offer=[0, 1], score=[0.5, 0.6], capacity=[1, 1]
    )
    solution = solve(problem, time_limit_s=1)
    assert solution.status == PlanStatus.TIME_LIMIT
    assert solution.gap == 0.25 and solution.bound == 0.625
    assert solution.selection is not None and solution.selection.lines.tolist() == [0]


def test_a_run_stopped_before_any_plan_has_no_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped(*_args: object, **_kwargs: object) -> OptimizeResult:
        return OptimizeResult(
            status=1, x=None, fun=None, mip_gap=np.inf, mip_dual_bound=np.nan, message="limit"
        )

    monkeypatch.setattr(solver_module, "milp", stopped)
    problem = PlanningProblem.create(n_requests=1, request=[0], offer=[0], score=[0.5], capacity=[1])
    solution = solve(problem, time_limit_s=1)
    assert solution.status == PlanStatus.TIME_LIMIT
    assert solution.selection is None and solution.gap is None and solution.bound is None


def test_an_empty_problem_is_an_empty_optimal_plan() -> None:
    problem = PlanningProblem.create(n_requests=3, request=[], offer=[], score=[], capacity=[])
    solution = solve(problem)
    assert solution.status == PlanStatus.OPTIMAL
    assert solution.selection is not None and solution.selection.lines.size == 0
