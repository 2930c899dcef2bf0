"""The plan report: the exact solution, what each request gave up, and the greedy baseline."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from broker.planning.greedy import greedy_selection, meets_floors, own_best
from broker.planning.problem import NO_WINDOW, UNLIMITED, PlanningProblem
from broker.planning.results import Displacement, Plan, PlanLine, PlanStatus, Reason, Selection
from broker.planning.solver import solve

_SLACK = 1e-9


def make_plan(
    problem: PlanningProblem, *, time_limit_s: float | None = None, mip_rel_gap: float = 0.0
) -> Plan:
    """Solve ``problem`` exactly and report it against the greedy baseline and the requests' own best.

    Args:
        problem: The candidate lines and limits (optimality is over these lines).
        time_limit_s: Wall-clock limit for the solver; a stopped run says ``TIME_LIMIT``.
        mip_rel_gap: Relative gap at which the solver may stop; 0 proves optimality.

    Returns:
        The plan; ``lines`` and ``displaced`` are empty when there is no selection.
    """
    solution = solve(problem, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
    greedy = greedy_selection(problem)
    chosen = solution.selection
    return Plan(
        solution=solution,
        lines=() if chosen is None else tuple(plan_lines(problem, chosen.lines)),
        displaced=() if chosen is None else displacements(problem, chosen, status=solution.status),
        greedy=greedy,
        greedy_meets_floors=meets_floors(problem, greedy.lines),
    )


def plan_lines(problem: PlanningProblem, lines: NDArray[np.intp]) -> list[PlanLine]:
    """The lines as ``PlanLine`` objects, by request, then score (highest first)."""
    ordered = lines[np.lexsort((lines, -problem.score[lines], problem.request[lines]))]
    return [_line(problem, int(c)) for c in ordered]


def displacements(
    problem: PlanningProblem, plan: Selection, *, status: PlanStatus = PlanStatus.OPTIMAL
) -> tuple[Displacement, ...]:
    """For each own-best line a request does not get in ``plan``: why not.

    The reasons, first that applies: the offer's capacity is used by other requests (``capacity``,
    with those requests); the window's envelope, less what other requests' lines draw from it, is
    short of the line's cost (``envelope``); the plan's lines for the request score as much
    (``tie``); the floors (``floors``, in an optimal plan with floors); else ``not_proven`` (the plan
    stopped at the time limit or within a non-zero gap).

    Args:
        problem: The problem ``plan`` solves.
        plan: A feasible selection of its lines.
        status: The plan's status (a ``TIME_LIMIT`` plan may simply not have found the better line).

    Returns:
        The displacements, by request then own-best rank.
    """
    charged = problem.charged_usd()
    in_plan = np.zeros(problem.n_lines, bool)
    in_plan[plan.lines] = True
    holders: dict[int, list[int]] = {}
    for c in plan.lines.tolist():
        holders.setdefault(int(problem.offer[c]), []).append(int(problem.request[c]))
    spent = np.zeros(problem.n_windows)
    windowed = plan.lines[problem.window[plan.lines] != NO_WINDOW]
    np.add.at(spent, problem.window[windowed], charged[windowed])
    plan_scores: dict[int, list[float]] = {}
    own_spend: dict[tuple[int, int], float] = {}
    for c in plan.lines.tolist():
        r, w = int(problem.request[c]), int(problem.window[c])
        plan_scores.setdefault(r, []).append(float(problem.score[c]))
        own_spend[r, w] = own_spend.get((r, w), 0.0) + float(charged[c])

    best = own_best(problem).lines
    out = []
    for c in best[np.lexsort((-problem.score[best], problem.request[best]))].tolist():
        if in_plan[c]:
            continue
        r, o, w = int(problem.request[c]), int(problem.offer[c]), int(problem.window[c])
        others = sorted(h for h in holders.get(o, []) if h != r)
        reason: Reason
        if problem.capacity[o] != UNLIMITED and len(others) >= problem.capacity[o]:
            out.append(Displacement(r, _line(problem, c), "capacity", tuple(others)))
            continue
        others_spent = spent[w] - own_spend.get((r, w), 0.0) if w != NO_WINDOW else 0.0
        if w != NO_WINDOW and others_spent + charged[c] > problem.envelope_usd[w] + _SLACK:
            out.append(Displacement(r, _line(problem, c), "envelope"))
            continue
        scores = plan_scores.get(r, [])
        weakest = min(scores) if len(scores) >= problem.per_request else 0.0  # a free slot scores 0
        if weakest >= problem.score[c] - _SLACK:
            reason = "tie"
        elif problem.floors and status == PlanStatus.OPTIMAL:
            reason = "floors"
        else:  # a better line was free: the plan stopped early (or within a non-zero gap)
            reason = "not_proven"
        out.append(Displacement(r, _line(problem, c), reason))
    return tuple(out)


def _line(problem: PlanningProblem, c: int) -> PlanLine:
    window = int(problem.window[c])
    return PlanLine(
        line=c,
        request=int(problem.request[c]),
        offer=int(problem.offer[c]),
        window=None if window == NO_WINDOW else window,
        score=float(problem.score[c]),
        cost_usd=0.0 if window == NO_WINDOW else float(problem.cost_usd[c]),
    )
