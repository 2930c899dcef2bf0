"""Result types of the planning core: a selection of lines, the solver's answer, the plan report."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import numpy as np
from numpy.typing import NDArray


class PlanStatus(StrEnum):
    """What the solver proved about the returned selection."""

    OPTIMAL = "optimal"  # optimal over the candidate lines given (within ``mip_rel_gap``)
    TIME_LIMIT = "time_limit"  # stopped at the time limit: the best selection found, with its gap, or none
    INFEASIBLE = "infeasible"  # the floors cannot all be met (see ``Solution.shortfalls``)


@dataclass(frozen=True, slots=True, eq=False)
class Selection:
    """A set of chosen lines and their total score.

    Attributes:
        lines: (n,) intp indices into the problem's lines, ascending.
        objective: Sum of the chosen lines' scores.
    """

    lines: NDArray[np.intp]
    objective: float


@dataclass(frozen=True, slots=True)
class FloorShortfall:
    """A floor group the plan cannot serve enough of.

    Attributes:
        floor: The floor's label (``Floor.label``).
        group: The group that falls short.
        required: Requests of the group that must be served.
        max_servable: The most that can be served in the group with every other floor dropped
            (capacities, envelopes and k kept), or None when the group is only short jointly.
        jointly_with: When the group is servable alone: the ``(floor, group)`` pairs before it that,
            together with it, cannot all be met (floors are added in the order given).
    """

    floor: str
    group: str
    required: int
    max_servable: int | None
    jointly_with: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class Solution:
    """The exact solver's answer.

    Attributes:
        status: See ``PlanStatus``.
        selection: The chosen lines; None when infeasible or stopped before a first feasible plan.
        bound: Upper bound on the optimal objective proved by the solver (None when infeasible).
        gap: Relative gap ``(bound - objective) / objective`` as HiGHS reports it (0 when optimal).
        solve_s: Wall-clock seconds in the solver (the diagnosis of infeasible floors included).
        shortfalls: When infeasible: which floors cannot be met.
    """

    status: PlanStatus
    selection: Selection | None
    bound: float | None
    gap: float | None
    solve_s: float
    shortfalls: tuple[FloorShortfall, ...] = ()


@dataclass(frozen=True, slots=True)
class PlanLine:
    """One proposed line: a request, its offer and the window that funds it.

    Attributes:
        line: Index into the problem's lines.
        request: Request code.
        offer: Offer code.
        window: Window code, or None when funded outside every window.
        score: Match score in [0, 1].
        cost_usd: USD the window pays (0 without a window).
    """

    line: int
    request: int
    offer: int
    window: int | None
    score: float
    cost_usd: float


Reason = Literal["capacity", "envelope", "floors", "tie", "not_proven"]


@dataclass(frozen=True, slots=True)
class Displacement:
    """A line a request would take on its own but does not get in the plan, and why.

    Attributes:
        request: Request code.
        own_best: The line it would take alone (among its k best).
        reason: ``capacity``: the offer's capacity is held by ``held_by``; ``envelope``: the window's
            envelope is spent by other lines; ``floors``: neither is exhausted, the floors led the
            plan elsewhere; ``tie``: the plan's line scores as much; ``not_proven``: the plan stopped at
            the time limit.
        held_by: Requests holding the offer in the plan (``capacity``), sorted; empty otherwise.
    """

    request: int
    own_best: PlanLine
    reason: Reason
    held_by: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    """The report of a portfolio plan: the exact solution against the greedy baseline.

    Attributes:
        solution: The solver's answer (status, bound, gap, time).
        lines: The plan's lines, by request then score (empty when there is no selection).
        displaced: For each request whose plan differs from its own best: what it gave up, and why.
        greedy: The greedy baseline (``greedy_selection``).
        greedy_meets_floors: Whether the greedy selection happens to meet every floor.
    """

    solution: Solution
    lines: tuple[PlanLine, ...]
    displaced: tuple[Displacement, ...]
    greedy: Selection
    greedy_meets_floors: bool

    @property
    def status(self) -> PlanStatus:
        return self.solution.status

    @property
    def objective(self) -> float | None:
        return None if self.solution.selection is None else self.solution.selection.objective

    @property
    def greedy_ratio(self) -> float | None:
        """Greedy objective over the plan's (<= 1 when optimal and the greedy meets the floors)."""
        objective = self.objective
        return None if not objective else self.greedy.objective / objective


@dataclass(frozen=True, slots=True)
class CellGap:
    """Unmet demand in one cell (e.g. a sector group and a region), from a plan's selection.

    Attributes:
        cell: The cell label.
        unserved: Requests of the cell with no line in the plan.
        open: Requests of the cell with fewer than k lines (``unserved`` included).
        would_serve: Requests a new offer of the given capacity in this cell would serve:
            ``min(capacity, open)`` (one line per request; the rest of the plan unchanged).
    """

    cell: Hashable
    unserved: int
    open: int
    would_serve: int
