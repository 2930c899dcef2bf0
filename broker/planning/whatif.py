"""What-if: where a new offer would serve the most requests the plan leaves unmet."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from broker.planning.problem import PlanningInputError, PlanningProblem
from broker.planning.results import CellGap, Selection


def unmet_cells(
    problem: PlanningProblem, selection: Selection, *, cells: Sequence[Hashable | None], capacity: int
) -> tuple[CellGap, ...]:
    """For each cell with open requests, how many a new offer of ``capacity`` there would serve.

    A request is open when the plan gives it fewer than k lines (``unserved``: none). A new offer
    serves at most one line per request, so it serves ``min(capacity, open)`` requests of its cell,
    the rest of the plan unchanged; this reads the plan's solution, it does not re-solve.

    Args:
        problem: The problem ``selection`` answers.
        selection: The plan's lines.
        cells: (R,) each request's cell, e.g. ``(sector_group, region)``; None leaves it out.
        capacity: The new offer's capacity per year, >= 0.

    Returns:
        The cells with at least one open request, by ``would_serve``, then ``unserved`` (most first),
        then the cell's text.
    """
    if len(cells) != problem.n_requests:
        raise PlanningInputError("cells must have one entry per request")
    if capacity < 0:
        raise PlanningInputError("capacity must be >= 0")
    lines = np.bincount(problem.request[selection.lines], minlength=problem.n_requests)
    unserved: dict[Hashable, int] = {}
    open_: dict[Hashable, int] = {}
    for request, cell in enumerate(cells):
        if cell is not None and lines[request] < problem.per_request:
            open_[cell] = open_.get(cell, 0) + 1
            unserved[cell] = unserved.get(cell, 0) + int(lines[request] == 0)
    gaps = [CellGap(cell, unserved[cell], n, min(capacity, n)) for cell, n in open_.items()]
    gaps.sort(key=lambda g: (-g.would_serve, -g.unserved, str(g.cell)))
    return tuple(gaps)
