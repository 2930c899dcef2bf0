"""Exact solution of the plan with SciPy's ``milp`` (HiGHS branch and cut), and why floors fail.

``solve`` maximises the total score over the candidate lines (see ``broker.planning.model`` for the
program). HiGHS proves optimality up to ``mip_rel_gap`` (default 0: proven optimal, up to HiGHS's
absolute gap of 1e-6 on the objective); a run stopped by ``time_limit_s`` is reported as
``TIME_LIMIT`` with its gap, never as optimal. When the floors cannot all be met, the answer is
``INFEASIBLE`` with the groups that fall short (``diagnose_floors``).
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import OptimizeResult, milp

from broker.planning.model import GroupRow, Model, build_model
from broker.planning.problem import PlanningProblem
from broker.planning.results import FloorShortfall, PlanStatus, Selection, Solution

_OPTIMAL, _LIMIT, _INFEASIBLE = 0, 1, 2  # scipy.optimize.milp status codes


class PlanningSolverError(RuntimeError):
    """HiGHS failed in a way a well-formed plan cannot cause (unbounded, numerical trouble)."""


def floor_rows(problem: PlanningProblem) -> list[tuple[str, str, GroupRow]]:
    """Every constrained floor group as ``(floor label, group, (members, requests to serve))``."""
    return [
        (floor.label, group, row) for floor in problem.floors for group, row in floor.requirements().items()
    ]


def solve(
    problem: PlanningProblem, *, time_limit_s: float | None = None, mip_rel_gap: float = 0.0
) -> Solution:
    """The plan of highest total score that respects capacities, envelopes, k and the floors.

    Args:
        problem: The candidate lines and limits; optimality is over these lines only.
        time_limit_s: Wall-clock limit for HiGHS (each diagnosis run gets the same); None: none.
        mip_rel_gap: Relative gap at which HiGHS may stop and call the plan optimal; 0 proves it.

    Returns:
        The solution; ``selection`` is None when infeasible or when the limit came before any plan.

    Raises:
        PlanningSolverError: When HiGHS reports anything but optimal, limit or infeasible.
    """
    start = time.perf_counter()
    groups = [row for _, _, row in floor_rows(problem)]
    result = _run(build_model(problem, groups=groups), time_limit_s, mip_rel_gap)
    if result.status == _INFEASIBLE:
        shortfalls = diagnose_floors(problem, time_limit_s=time_limit_s)
        return Solution(PlanStatus.INFEASIBLE, None, None, None, time.perf_counter() - start, shortfalls)
    selection = None
    if result.x is not None:
        chosen = np.flatnonzero(result.x[: problem.n_lines] > 0.5).astype(np.intp)
        selection = Selection(lines=chosen, objective=float(problem.score[chosen].sum()))
    status = PlanStatus.OPTIMAL if result.status == _OPTIMAL else PlanStatus.TIME_LIMIT
    bound = getattr(result, "mip_dual_bound", None)
    gap = getattr(result, "mip_gap", None)
    return Solution(
        status=status,
        selection=selection,
        bound=None if bound is None or not np.isfinite(bound) else float(-bound),
        gap=None if gap is None or not np.isfinite(gap) else float(gap),
        solve_s=time.perf_counter() - start,
    )


def diagnose_floors(
    problem: PlanningProblem, *, time_limit_s: float | None = None
) -> tuple[FloorShortfall, ...]:
    """Which floor groups make the plan infeasible.

    First each group alone: the most requests of the group that can be served with every floor
    dropped (an integer program of its own); the groups below their requirement are the answer.
    When each group is servable alone, the floors are added group by group in the order given, and
    the first group whose addition makes the program infeasible is reported with those before it.

    Returns:
        The short groups; empty when the floors are feasible (or the runs stopped at the limit).
    """
    rows = floor_rows(problem)
    short = []
    for label, group, (members, need) in rows:
        if need <= 0:
            continue
        result = _run(build_model(problem, groups=[], maximise_served=members), time_limit_s, 0.0)
        if result.status == _OPTIMAL and -result.fun < need - 0.5:
            short.append(FloorShortfall(label, group, need, round(-result.fun)))
    if short:
        return tuple(short)
    for i, (label, group, (_, need)) in enumerate(rows):
        result = _run(build_model(problem, groups=[row for *_, row in rows[: i + 1]]), time_limit_s, 0.0)
        if result.status == _INFEASIBLE:
            before = tuple((lb, gr) for lb, gr, (_, n) in rows[:i] if n > 0)
            return (FloorShortfall(label, group, need, None, before),)
    return ()


def _run(model: Model, time_limit_s: float | None, mip_rel_gap: float) -> OptimizeResult:
    if model.c.size == 0:  # no variables: HiGHS is not needed (and milp wants at least one)
        rows = model.constraints
        feasible = rows is None or bool(np.all(rows.lb <= 0) and np.all(rows.ub >= 0))
        status = _OPTIMAL if feasible else _INFEASIBLE
        return OptimizeResult(status=status, x=np.empty(0), fun=0.0, mip_gap=0.0, mip_dual_bound=0.0)
    options: dict[str, float | bool] = {"mip_rel_gap": mip_rel_gap, "disp": False}
    if time_limit_s is not None:
        options["time_limit"] = time_limit_s
    result = milp(
        model.c,
        constraints=model.constraints if model.constraints is not None else (),
        integrality=model.integrality,
        bounds=model.bounds,
        options=options,
    )
    if result.status not in (_OPTIMAL, _LIMIT, _INFEASIBLE):
        raise PlanningSolverError(f"HiGHS: {result.message}")
    return result
