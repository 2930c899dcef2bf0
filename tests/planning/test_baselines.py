"""The greedy baseline, each request's own best, and what the plan displaced."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from broker.planning import (
    Floor,
    PlanningProblem,
    PlanStatus,
    Selection,
    displacements,
    greedy_selection,
    make_plan,
    own_best,
)
from tests.planning.builders import DETERMINISTIC, small_problems, violations


def contended() -> PlanningProblem:
    """Request 0 likes offer 0 (0.9) and offer 1 (0.85); request 1 only offer 0 (0.8); capacity 1."""
    return PlanningProblem.create(
        n_requests=2, request=[0, 0, 1], offer=[0, 1, 0], score=[0.9, 0.85, 0.8], capacity=[1, 1]
    )


def test_greedy_takes_each_requests_best_in_turn_and_loses_to_the_plan() -> None:
    problem = contended()
    greedy = greedy_selection(problem)
    assert greedy.lines.tolist() == [0]  # request 0 goes first (best 0.9) and takes offer 0
    plan = make_plan(problem)
    assert plan.status == PlanStatus.OPTIMAL
    assert [(line.request, line.offer) for line in plan.lines] == [(0, 1), (1, 0)]
    assert plan.objective == pytest.approx(1.65)
    assert plan.greedy.objective == pytest.approx(0.9)
    assert plan.greedy_ratio == pytest.approx(0.9 / 1.65)


def test_greedy_orders_requests_by_their_best_score_not_their_code() -> None:
    # Request 1's best (0.95) beats request 0's (0.6): request 1 takes the single seat first.
    problem = PlanningProblem.create(
        n_requests=2, request=[0, 1], offer=[0, 0], score=[0.6, 0.95], capacity=[1]
    )
    assert greedy_selection(problem).lines.tolist() == [1]


def test_greedy_skips_a_line_its_window_cannot_pay() -> None:
    problem = PlanningProblem.create(
        n_requests=2,
        request=[0, 1, 1],
        offer=[0, 1, 2],
        window=[0, 0, -1],
        score=[0.9, 0.8, 0.3],
        cost_usd=[70, 50, 0],
        capacity=[None, None, None],
        envelope_usd=[100],
    )
    assert greedy_selection(problem).lines.tolist() == [0, 2]


def test_a_request_kept_from_its_best_offer_names_who_holds_it() -> None:
    plan = make_plan(contended())
    (moved,) = plan.displaced
    assert (moved.request, moved.own_best.offer, moved.reason, moved.held_by) == (0, 0, "capacity", (1,))


def test_a_request_kept_from_its_best_window_says_the_envelope_ran_out() -> None:
    # Both requests want window 0 (envelope 100, 60 each); request 1's fallback is self-funded.
    problem = PlanningProblem.create(
        n_requests=2,
        request=[0, 1, 1],
        offer=[0, 1, 1],
        window=[0, 0, -1],
        score=[0.9, 0.8, 0.7],
        cost_usd=[60, 60, 0],
        capacity=[None, None],
        envelope_usd=[100],
    )
    plan = make_plan(problem)
    assert [(line.request, line.window) for line in plan.lines] == [(0, 0), (1, None)]
    (moved,) = plan.displaced
    assert (moved.request, moved.own_best.window, moved.reason, moved.held_by) == (1, 0, "envelope", ())


def test_a_request_moved_by_a_floor_says_floors() -> None:
    # Request 0 alone would take offer 0; the floor needs request 1 (asia) served, and only offer 0
    # can serve it, so request 0 moves to offer 1 although offer 1 was free all along.
    problem = PlanningProblem.create(
        n_requests=2,
        request=[0, 0, 1],
        offer=[0, 1, 0],
        score=[0.9, 0.1, 0.2],
        capacity=[1, 1],
        floors=[Floor("region", ("europe", "asia"), min_served=1, only=("asia",))],
    )
    plan = make_plan(problem)
    reasons = {(d.request, d.reason) for d in plan.displaced}
    assert reasons == {(0, "capacity")}  # offer 0 is held by request 1 in the plan
    assert plan.objective == pytest.approx(0.3)
    assert not plan.greedy_meets_floors


def test_a_better_free_line_in_a_stopped_plan_is_not_proven() -> None:
    # Only request 0 on offer 1: offer 0 stays free, which an optimal plan would not leave.
    worse = Selection(lines=np.array([1], dtype=np.intp), objective=0.85)
    moved = displacements(contended(), worse, status=PlanStatus.TIME_LIMIT)
    assert [(d.request, d.own_best.offer, d.reason) for d in moved] == [
        (0, 0, "not_proven"),
        (1, 0, "not_proven"),
    ]


@DETERMINISTIC
@given(small_problems(floors=False))
def test_own_best_is_feasible_alone_and_k1_plans_never_beat_it_per_request(problem: PlanningProblem) -> None:
    best = own_best(problem)
    for r in range(problem.n_requests):
        mine = best.lines[problem.request[best.lines] == r]
        alone = violations(problem, mine)
        assert alone == [], alone
    if problem.per_request == 1:
        plan = make_plan(problem)
        assert plan.solution.selection is not None
        for line in plan.lines:
            (alone,) = best.lines[problem.request[best.lines] == line.request]
            assert line.score <= problem.score[alone] + 1e-9
        # Every request whose plan line differs from its own best appears once among the displaced.
        differs = {
            r
            for r in range(problem.n_requests)
            if set(best.lines[problem.request[best.lines] == r].tolist())
            != {line.line for line in plan.lines if line.request == r}
        }
        assert {d.request for d in plan.displaced} == differs
        assert all(d.reason in ("capacity", "envelope", "tie") for d in plan.displaced)
