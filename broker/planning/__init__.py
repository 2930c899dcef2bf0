"""The portfolio plan: which offer (and funding window) each open request should take.

Pure numpy/SciPy, no web, database or settings imports. A ``PlanningProblem`` holds candidate lines
(request, offer, optional window, score, the window's cost) with offer capacities, window envelopes,
k lines per request and fairness floors (``problem``). ``solve`` finds the assignment of highest
total score exactly, as a 0-1 program for SciPy's ``milp`` (HiGHS) over sparse rows (``model``,
``solver``); ``make_plan`` reports it against the greedy baseline and each request's own best
(``greedy``, ``plan``); ``unmet_cells`` says where a new offer would serve most (``whatif``);
``prune`` trims the candidates beforehand, the one approximation, and the caller's choice.
"""

from broker.planning.greedy import greedy_selection, meets_floors, own_best
from broker.planning.plan import displacements, make_plan, plan_lines
from broker.planning.problem import NO_WINDOW, UNLIMITED, Floor, PlanningInputError, PlanningProblem
from broker.planning.prune import prune
from broker.planning.results import (
    CellGap,
    Displacement,
    FloorShortfall,
    Plan,
    PlanLine,
    PlanStatus,
    Selection,
    Solution,
)
from broker.planning.solver import PlanningSolverError, diagnose_floors, solve
from broker.planning.whatif import unmet_cells

__all__ = [
    "NO_WINDOW",
    "UNLIMITED",
    "CellGap",
    "Displacement",
    "Floor",
    "FloorShortfall",
    "Plan",
    "PlanLine",
    "PlanStatus",
    "PlanningInputError",
    "PlanningProblem",
    "PlanningSolverError",
    "Selection",
    "Solution",
    "diagnose_floors",
    "displacements",
    "greedy_selection",
    "make_plan",
    "meets_floors",
    "own_best",
    "plan_lines",
    "prune",
    "solve",
    "unmet_cells",
]
