"""The input of a portfolio plan: candidate lines, offer capacities, window envelopes, floors.

A *candidate line* is one way to serve a request: an offer, optionally funded by a window, with the
pair's match score and the USD the window would pay. Requests, offers and windows are integer codes
(``0..n-1``); the caller keeps the lookup tables that turn them back into ids. Everything is checked
once here, so the solver and the baselines can trust their input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

NO_WINDOW = -1  # a line funded outside every window: it draws on no envelope
UNLIMITED = -1  # an offer capacity without limit


class PlanningInputError(ValueError):
    """The problem is malformed (shapes, ranges, duplicate lines); nothing was solved."""


@dataclass(frozen=True, slots=True)
class Floor:
    """A fairness floor: in every group (or the groups in ``only``), enough requests are served.

    A request is *served* when the plan gives it at least one line. Exactly one of ``min_served`` and
    ``min_share`` is set; a share is rounded up (0.5 of 5 requests needs 3). A floor that cannot be
    met makes the plan infeasible (``PlanStatus.INFEASIBLE`` with the shortfall), never ignored.

    Attributes:
        label: What the groups are, for messages (``"region"``).
        groups: One group label per request (length ``n_requests``); None puts a request in no group.
        min_served: Minimum number of served requests in each group.
        min_share: Minimum share in (0, 1] of each group's requests that are served.
        only: Restrict the floor to these groups; None applies it to every group.
    """

    label: str
    groups: tuple[str | None, ...]
    min_served: int | None = None
    min_share: float | None = None
    only: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if (self.min_served is None) == (self.min_share is None):
            raise PlanningInputError(f"floor {self.label!r}: set exactly one of min_served and min_share")
        if self.min_served is not None and self.min_served < 0:
            raise PlanningInputError(f"floor {self.label!r}: min_served must be >= 0")
        if self.min_share is not None and not 0.0 < self.min_share <= 1.0:
            raise PlanningInputError(f"floor {self.label!r}: min_share must be in (0, 1]")

    def requirements(self) -> dict[str, tuple[NDArray[np.intp], int]]:
        """Each constrained group's member requests (sorted codes) and the number to serve."""
        members: dict[str, list[int]] = {}
        for request, group in enumerate(self.groups):
            if group is not None and (self.only is None or group in self.only):
                members.setdefault(group, []).append(request)
        for group in self.only or ():
            members.setdefault(group, [])
        out = {}
        for group in sorted(members):
            size = len(members[group])
            if self.min_served is not None:
                need = self.min_served
            else:
                assert self.min_share is not None
                need = math.ceil(self.min_share * size - 1e-9)
            out[group] = (np.asarray(members[group], dtype=np.intp), need)
        return out


@dataclass(frozen=True, slots=True, eq=False)
class PlanningProblem:
    """Candidate lines and the limits a plan must respect.

    Use ``PlanningProblem.create``, which converts and checks its arguments.

    Attributes:
        n_requests: Number of requests R; requests without lines count (floors, what-if).
        request: (C,) intp request code of each line, in [0, R).
        offer: (C,) intp offer code, in [0, O).
        window: (C,) intp window code in [0, W), or ``NO_WINDOW``.
        score: (C,) float64 match score in [0, 1]; the plan maximises the sum over chosen lines.
        cost_usd: (C,) float64 >= 0, the USD the line's window pays (its share of the pair's cost);
            ignored for lines without a window.
        capacity: (O,) int64 exchanges per year each offer can take, or ``UNLIMITED``.
        envelope_usd: (W,) float64 USD left in each window (``inf`` for no limit).
        per_request: k, the most lines (distinct offers) one request may take; default 1.
        floors: Fairness floors (see ``Floor``).
    """

    n_requests: int
    request: NDArray[np.intp]
    offer: NDArray[np.intp]
    window: NDArray[np.intp]
    score: NDArray[np.float64]
    cost_usd: NDArray[np.float64]
    capacity: NDArray[np.int64]
    envelope_usd: NDArray[np.float64]
    per_request: int = 1
    floors: tuple[Floor, ...] = field(default=())

    @classmethod
    def create(
        cls,
        *,
        n_requests: int,
        request: ArrayLike,
        offer: ArrayLike,
        score: ArrayLike,
        capacity: Sequence[int | None],
        window: ArrayLike | None = None,
        cost_usd: ArrayLike | None = None,
        envelope_usd: Sequence[float | None] = (),
        per_request: int = 1,
        floors: Sequence[Floor] = (),
    ) -> PlanningProblem:
        """Build and check a problem from array-likes; None means unlimited (capacity, envelope).

        Args:
            n_requests: R.
            request, offer: (C,) integer codes of each line.
            score: (C,) scores in [0, 1].
            capacity: (O,) per offer, an int >= 0 or None (unlimited).
            window: (C,) window codes, ``NO_WINDOW`` (-1) for none; None: no line has a window.
            cost_usd: (C,) USD >= 0 charged to the line's window; None: zeros.
            envelope_usd: (W,) per window, USD >= 0 or None (unlimited).
            per_request: k >= 1.
            floors: Fairness floors, each with one group label per request.

        Raises:
            PlanningInputError: On a wrong shape, an out-of-range code or value, or a line given twice.
        """
        req = np.asarray(request, dtype=np.intp).reshape(-1)
        n = len(req)
        win = np.full(n, NO_WINDOW, np.intp) if window is None else np.asarray(window, dtype=np.intp)
        cost = np.zeros(n) if cost_usd is None else np.asarray(cost_usd, dtype=np.float64)
        cap = np.array([UNLIMITED if c is None else int(c) for c in capacity], dtype=np.int64)
        env = np.array([math.inf if e is None else float(e) for e in envelope_usd], dtype=np.float64)
        problem = cls(
            n_requests=int(n_requests),
            request=req,
            offer=np.asarray(offer, dtype=np.intp),
            window=win,
            score=np.asarray(score, dtype=np.float64),
            cost_usd=cost,
            capacity=cap,
            envelope_usd=env,
            per_request=int(per_request),
            floors=tuple(floors),
        )
        problem.check()
        return problem

    @property
    def n_lines(self) -> int:
        return len(self.request)

    @property
    def n_offers(self) -> int:
        return len(self.capacity)

    @property
    def n_windows(self) -> int:
        return len(self.envelope_usd)

    def check(self) -> None:
        """Raise ``PlanningInputError`` unless every array has its shape and range (see class doc)."""
        n = self.n_lines
        for name in ("offer", "window", "score", "cost_usd"):
            if getattr(self, name).shape != (n,):
                raise PlanningInputError(f"{name} must have shape ({n},) like request")
        if self.per_request < 1:
            raise PlanningInputError("per_request must be >= 1")
        _in_range("request", self.request, 0, self.n_requests)
        _in_range("offer", self.offer, 0, self.n_offers)
        _in_range("window", self.window, NO_WINDOW, self.n_windows)
        if not np.all(np.isfinite(self.score)) or np.any((self.score < 0) | (self.score > 1)):
            raise PlanningInputError("score must be in [0, 1]")
        if not np.all(np.isfinite(self.cost_usd)) or np.any(self.cost_usd < 0):
            raise PlanningInputError("cost_usd must be finite and >= 0")
        if np.any(self.capacity < UNLIMITED):
            raise PlanningInputError("capacity must be >= 0 or None (unlimited)")
        if np.any(np.isnan(self.envelope_usd)) or np.any(self.envelope_usd < 0):
            raise PlanningInputError("envelope_usd must be >= 0 or None (unlimited)")
        keys = np.stack([self.request, self.offer, self.window])
        if n and np.unique(keys, axis=1).shape[1] != n:
            raise PlanningInputError("a (request, offer, window) line is given twice")
        for floor in self.floors:
            if len(floor.groups) != self.n_requests:
                raise PlanningInputError(f"floor {floor.label!r}: groups must have one label per request")

    def restrict(self, lines: NDArray[np.intp]) -> PlanningProblem:
        """The same problem over a subset of its lines (e.g. ``prune``'s): its line i is ``lines[i]``.

        Line indices in results (``Selection.lines``, ``PlanLine.line``) then refer to the subset;
        ``lines[index]`` maps them back.
        """
        return PlanningProblem(
            n_requests=self.n_requests,
            request=self.request[lines],
            offer=self.offer[lines],
            window=self.window[lines],
            score=self.score[lines],
            cost_usd=self.cost_usd[lines],
            capacity=self.capacity,
            envelope_usd=self.envelope_usd,
            per_request=self.per_request,
            floors=self.floors,
        )

    def charged_usd(self) -> NDArray[np.float64]:
        """(C,) the USD each line draws on an envelope: its cost with a window, 0 without."""
        return np.where(self.window >= 0, self.cost_usd, 0.0)


def _in_range(name: str, codes: NDArray[np.intp], low: int, high: int) -> None:
    if codes.size and (codes.min() < low or codes.max() >= high):
        raise PlanningInputError(f"{name} codes must be in [{low}, {high})")
