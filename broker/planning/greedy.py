"""The baselines the plan is compared with: each request's own best, and the greedy plan.

*Own best*: what a request would take if it were alone: its best lines with distinct offers, taken
best first while it could take them alone (offer capacity >= 1, cost within what is left of the
window's envelope). With k = 1 that is its best takeable line; with k > 1 under an envelope it is
the greedy pick, not necessarily the request's best k-set.

*Greedy*: requests in turn, by their best line's score (highest first, ties by request code), each
take their best lines still feasible given what earlier requests took. Lines rank by score, then
lower cost, then line index. The greedy plan ignores the floors (``meets_floors`` says whether it
happens to meet them); without floors it is feasible for the program, so it never beats ``solve``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from broker.planning.problem import UNLIMITED, PlanningProblem
from broker.planning.results import Selection

_SLACK = 1e-9  # envelope comparisons in USD tolerate rounding


def line_order(problem: PlanningProblem) -> NDArray[np.intp]:
    """(C,) lines grouped by request (greedy order of requests), best line first within a request."""
    best = np.full(problem.n_requests, -np.inf)
    np.maximum.at(best, problem.request, problem.score)
    # Requests by best score descending, ties by code; then lines by score, cost, index.
    request_rank = np.empty(problem.n_requests, np.intp)
    request_rank[np.lexsort((np.arange(problem.n_requests), -best))] = np.arange(problem.n_requests)
    keys = (np.arange(problem.n_lines), problem.charged_usd(), -problem.score, request_rank[problem.request])
    return np.lexsort(keys).astype(np.intp)


def greedy_selection(problem: PlanningProblem) -> Selection:
    """The greedy plan (see the module doc): requests in turn take their best feasible lines."""
    return _take(problem, shared=True)


def own_best(problem: PlanningProblem) -> Selection:
    """Every request's own best lines, each request ignoring the others (capacities not shared)."""
    return _take(problem, shared=False)


def meets_floors(problem: PlanningProblem, lines: NDArray[np.intp]) -> bool:
    """Whether the requests served by ``lines`` meet every floor of ``problem``."""
    served = np.zeros(problem.n_requests, bool)
    served[problem.request[lines]] = True
    return all(
        int(served[members].sum()) >= need
        for floor in problem.floors
        for members, need in floor.requirements().values()
    )


def _take(problem: PlanningProblem, *, shared: bool) -> Selection:
    capacity = problem.capacity.astype(np.float64)
    capacity[problem.capacity == UNLIMITED] = np.inf
    envelope = problem.envelope_usd.copy()
    charged = problem.charged_usd()
    request, offer, window = problem.request.tolist(), problem.offer.tolist(), problem.window.tolist()
    taken: list[int] = []
    current, count, offers_taken = -1, 0, set[int]()
    used_capacity: dict[int, float] = {}
    used_envelope: dict[int, float] = {}
    for line in line_order(problem).tolist():
        r, o, w = request[line], offer[line], window[line]
        if r != current:
            current, count, offers_taken = r, 0, set()
            if not shared:
                used_capacity, used_envelope = {}, {}
        if count >= problem.per_request or o in offers_taken:
            continue
        if used_capacity.get(o, 0.0) + 1 > capacity[o]:
            continue
        cost = charged[line]
        if w >= 0 and used_envelope.get(w, 0.0) + cost > envelope[w] + _SLACK:
            continue
        taken.append(line)
        count += 1
        offers_taken.add(o)
        used_capacity[o] = used_capacity.get(o, 0.0) + 1
        if w >= 0:
            used_envelope[w] = used_envelope.get(w, 0.0) + cost
    lines = np.sort(np.asarray(taken, dtype=np.intp))
    return Selection(lines=lines, objective=float(problem.score[lines].sum()))
