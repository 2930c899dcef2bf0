"""The plan as a 0-1 integer program, in the form ``scipy.optimize.milp`` takes (sparse rows).

Variables:
    x_c in {0, 1} for every candidate line c (request r_c, offer o_c, window w_c, score s_c, cost u_c):
        the plan takes line c.
    y_r in {0, 1} for every request r in a floor group and with at least one line: r is served.

Objective: maximise sum_c s_c x_c (``milp`` minimises, so c = -s).

Constraints (a row is only written where it can bind):
    k per request:   sum_{c: r_c = r} x_c <= k
    capacity:        sum_{c: o_c = o} x_c <= capacity_o            (limited offers)
    envelope:        sum_{c: w_c = w} u_c x_c <= envelope_w         (finite envelopes)
    distinct offers: sum_{c: r_c = r, o_c = o} x_c <= 1             (k > 1: one offer once per request,
                                                                     whichever window funds it)
    served:          y_r - sum_{c: r_c = r} x_c <= 0
    floor (g, n_g):  sum_{r in g} y_r >= n_g                        (each constrained group)

Without floors, taking nothing is feasible, so only floors can make the program infeasible. The
program is exact over the lines given: pruning them (``prune``) is the caller's approximation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint

from broker.planning.problem import UNLIMITED, PlanningProblem

GroupRow = tuple[NDArray[np.intp], int]  # member requests of a floor group, requests to serve


@dataclass(frozen=True, slots=True, eq=False)
class Model:
    """A ``milp`` program over the lines of a problem.

    Attributes:
        c: (n_x + n_y,) objective to minimise.
        constraints: The sparse rows, with their bounds.
        integrality: (n_x + n_y,) ones: every variable is integer (binary by its bounds).
        bounds: [0, 1] for every variable.
        n_x: Number of line variables (the first n_x).
    """

    c: NDArray[np.float64]
    constraints: LinearConstraint | None
    integrality: NDArray[np.int8]
    bounds: Bounds
    n_x: int


class _Rows:
    """Sparse rows ``lower <= A v <= upper`` collected as COO triplets."""

    def __init__(self) -> None:
        self.rows: list[NDArray[np.intp]] = []
        self.cols: list[NDArray[np.intp]] = []
        self.coefs: list[NDArray[np.float64]] = []
        self.lower: list[NDArray[np.float64]] = []
        self.upper: list[NDArray[np.float64]] = []
        self.count = 0

    def add_sums(
        self,
        keys: NDArray[np.intp],
        coef: NDArray[np.float64],
        limit: NDArray[np.float64],
        cols: NDArray[np.intp] | None = None,
    ) -> None:
        """Rows ``sum_i coef_i v_{cols_i} <= limit_j`` over the i with ``keys_i = j``, for each j whose
        row can bind (``cols`` defaults to ``0..len(keys)-1``)."""
        if keys.size == 0:
            return
        size = int(keys.max()) + 1
        total = np.bincount(keys, weights=coef, minlength=size)
        binding = np.flatnonzero(total > limit[:size] + 1e-9)
        if binding.size == 0:
            return
        row_of = np.full(size, -1, np.intp)
        row_of[binding] = self.count + np.arange(binding.size)
        keep = np.flatnonzero(row_of[keys] >= 0)
        self.add(row_of[keys[keep]], keep if cols is None else cols[keep], coef[keep])
        self.bound(np.full(binding.size, -np.inf), limit[binding])

    def add(self, rows: NDArray[np.intp], cols: NDArray[np.intp], coefs: NDArray[np.float64]) -> None:
        self.rows.append(rows)
        self.cols.append(cols)
        self.coefs.append(coefs)

    def bound(self, lower: NDArray[np.float64], upper: NDArray[np.float64]) -> None:
        """Close the next ``len(lower)`` rows with these bounds."""
        self.lower.append(lower)
        self.upper.append(upper)
        self.count += lower.size

    def constraint(self, n_vars: int) -> LinearConstraint | None:
        if not self.count:
            return None
        matrix = sp.csr_array(
            (np.concatenate(self.coefs), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(self.count, n_vars),
        )
        return LinearConstraint(matrix, np.concatenate(self.lower), np.concatenate(self.upper))


def build_model(
    problem: PlanningProblem, *, groups: list[GroupRow], maximise_served: NDArray[np.intp] | None = None
) -> Model:
    """The program for ``problem`` with the given floor rows.

    Args:
        problem: The lines and their limits.
        groups: Floor rows ``(members, n_g)``; the floors of ``problem`` are not read here.
        maximise_served: When given, the objective is the number of these requests served (the
            lines' scores get weight 0): the diagnosis of a short floor group.

    Returns:
        The model; variables are the lines' x (in line order), then the y of the floor requests.
    """
    n = problem.n_lines
    rows = _Rows()
    ones = np.ones(n)
    rows.add_sums(problem.request, ones, np.full(problem.n_requests, float(problem.per_request)))
    capacity = np.where(problem.capacity == UNLIMITED, np.inf, problem.capacity.astype(np.float64))
    rows.add_sums(problem.offer, ones, capacity)
    windowed = np.flatnonzero(problem.window >= 0)
    rows.add_sums(problem.window[windowed], problem.cost_usd[windowed], problem.envelope_usd, cols=windowed)
    if problem.per_request > 1 and n:
        _, pair = np.unique(problem.request * problem.n_offers + problem.offer, return_inverse=True)
        rows.add_sums(pair.astype(np.intp), ones, np.ones(int(pair.max()) + 1))

    # One y per floor request that has lines (a request without lines cannot be served).
    has_lines = np.zeros(problem.n_requests, bool)
    has_lines[problem.request] = True
    wanted = [members for members, _ in groups]
    if maximise_served is not None:
        wanted.append(maximise_served)
    floor_requests = np.unique(np.concatenate(wanted)).astype(np.intp) if wanted else np.empty(0, np.intp)
    floor_requests = floor_requests[has_lines[floor_requests]]
    n_y = floor_requests.size
    y_of = np.full(problem.n_requests, -1, np.intp)
    y_of[floor_requests] = n + np.arange(n_y)
    if n_y:
        # served: y_r - sum_{c: r_c = r} x_c <= 0
        linked = np.flatnonzero(y_of[problem.request] >= 0)
        rows.add(rows.count + np.searchsorted(floor_requests, problem.request[linked]), linked, -ones[linked])
        rows.add(rows.count + np.arange(n_y), y_of[floor_requests], np.ones(n_y))
        rows.bound(np.full(n_y, -np.inf), np.zeros(n_y))
    for members, need in groups:
        if need > 0:
            ys = y_of[members]
            ys = ys[ys >= 0]
            rows.add(np.full(ys.size, rows.count, np.intp), ys, np.ones(ys.size))
            rows.bound(np.array([float(need)]), np.array([np.inf]))

    n_vars = n + n_y
    c = np.zeros(n_vars)
    if maximise_served is None:
        c[:n] = -problem.score
    else:
        served = y_of[maximise_served]
        c[served[served >= 0]] = -1.0
    return Model(
        c=c,
        constraints=rows.constraint(n_vars),
        integrality=np.ones(n_vars, np.int8),
        bounds=Bounds(np.zeros(n_vars), np.ones(n_vars)),
        n_x=n,
    )
