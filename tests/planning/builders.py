"""Random planning problems, an independent feasibility check and a brute-force optimum.

Nothing here reads ``broker.planning.model``: the checker and the brute force restate the rules
(k lines per request, distinct offers, capacities, envelopes, floors) from the problem's arrays.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from broker.planning import Floor, PlanningProblem

DETERMINISTIC = settings(
    derandomize=True, deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
TOLERANCE_USD = 1e-6  # HiGHS's feasibility tolerance, in USD on envelopes of tens of USD


def floor_needs(problem: PlanningProblem) -> list[tuple[str, str, NDArray[np.intp], int]]:
    """Each constrained group of each floor: (label, group, members, requests to serve), restated."""
    out = []
    for floor in problem.floors:
        labels = sorted({g for g in floor.groups if g is not None} | set(floor.only or ()))
        for group in labels:
            if floor.only is not None and group not in floor.only:
                continue
            members = np.array([r for r, g in enumerate(floor.groups) if g == group], dtype=np.intp)
            if floor.min_served is not None:
                need = floor.min_served
            else:
                assert floor.min_share is not None
                need = math.ceil(round(floor.min_share * members.size, 9))
            out.append((floor.label, group, members, need))
    return out


def violations(problem: PlanningProblem, lines: NDArray[np.intp], *, floors: bool = True) -> list[str]:
    """Every rule the selection ``lines`` breaks (empty when feasible)."""
    out = []
    if np.unique(lines).size != lines.size:
        out.append("a line taken twice")
    req, off, win = problem.request[lines], problem.offer[lines], problem.window[lines]
    per_request = np.bincount(req, minlength=problem.n_requests)
    if per_request.max(initial=0) > problem.per_request:
        out.append(f"more than k={problem.per_request} lines for a request")
    pairs = set()
    for r, o in zip(req.tolist(), off.tolist(), strict=True):
        if (r, o) in pairs:
            out.append(f"request {r} takes offer {o} twice")
        pairs.add((r, o))
    used = np.bincount(off, minlength=problem.n_offers)
    for o in range(problem.n_offers):
        if problem.capacity[o] >= 0 and used[o] > problem.capacity[o]:
            out.append(f"offer {o}: {used[o]} > capacity {problem.capacity[o]}")
    for w in range(problem.n_windows):
        spent = float(problem.cost_usd[lines][win == w].sum())
        if spent > problem.envelope_usd[w] + TOLERANCE_USD:
            out.append(f"window {w}: {spent} > envelope {problem.envelope_usd[w]}")
    if floors:
        served = per_request > 0
        for label, group, members, need in floor_needs(problem):
            if served[members].sum() < need:
                out.append(f"floor {label} group {group}: {served[members].sum()} < {need}")
    return out


def brute_force(problem: PlanningProblem) -> float | None:
    """The highest total score over every subset of lines that breaks no rule; None if none does."""
    n = problem.n_lines
    assert n <= 16, "brute force enumerates 2^n subsets"
    take = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(np.float64)  # (2^n, n)

    def sums(keys: NDArray[np.intp], size: int, weights: NDArray[np.float64] | None = None) -> NDArray:
        onehot = np.zeros((n, size))
        onehot[np.arange(n), keys] = 1.0 if weights is None else weights
        return take @ onehot

    ok = np.all(sums(problem.request, problem.n_requests) <= problem.per_request, axis=1)
    ok &= np.all(
        sums(problem.request * problem.n_offers + problem.offer, problem.n_requests * problem.n_offers) <= 1,
        axis=1,
    )
    limited = problem.capacity >= 0
    ok &= np.all(sums(problem.offer, problem.n_offers)[:, limited] <= problem.capacity[limited], axis=1)
    windowed = problem.window >= 0
    if problem.n_windows:
        spent = sums(
            np.where(windowed, problem.window, 0), problem.n_windows, np.where(windowed, problem.cost_usd, 0)
        )
        ok &= np.all(spent <= problem.envelope_usd + 1e-9, axis=1)
    served = sums(problem.request, problem.n_requests) > 0
    for _, _, members, need in floor_needs(problem):
        ok &= served[:, members].sum(axis=1) >= need
    if not ok.any():
        return None
    return float((take[ok] @ problem.score).max())


@st.composite
def small_problems(draw: st.DrawFn, *, max_lines: int = 12, floors: bool = True) -> PlanningProblem:
    """At most 6 requests, 4 offers, 2 windows and ``max_lines`` lines, scores in twentieths (ties)."""
    n_requests = draw(st.integers(1, 6))
    n_offers = draw(st.integers(1, 4))
    n_windows = draw(st.integers(0, 2))
    triples = st.tuples(
        st.integers(0, n_requests - 1), st.integers(0, n_offers - 1), st.integers(-1, n_windows - 1)
    )
    lines = draw(st.lists(triples, max_size=max_lines, unique=True))
    n = len(lines)
    score = [s / 20 for s in draw(st.lists(st.integers(0, 20), min_size=n, max_size=n))]
    cost = draw(st.lists(st.integers(0, 10), min_size=n, max_size=n))
    capacity = draw(st.lists(st.none() | st.integers(0, 3), min_size=n_offers, max_size=n_offers))
    envelope = draw(st.lists(st.none() | st.integers(0, 20), min_size=n_windows, max_size=n_windows))
    chosen_floors = []
    for i in range(draw(st.integers(0, 2)) if floors else 0):
        groups = tuple(
            draw(st.lists(st.sampled_from(["a", "b", None]), min_size=n_requests, max_size=n_requests))
        )
        only = draw(st.none() | st.just(("a",)))
        if draw(st.booleans()):
            chosen_floors.append(Floor(f"f{i}", groups, min_served=draw(st.integers(0, 3)), only=only))
        else:
            chosen_floors.append(
                Floor(f"f{i}", groups, min_share=draw(st.sampled_from([0.25, 0.5, 1.0])), only=only)
            )
    return PlanningProblem.create(
        n_requests=n_requests,
        request=[t[0] for t in lines],
        offer=[t[1] for t in lines],
        window=[t[2] for t in lines],
        score=score,
        cost_usd=cost,
        capacity=capacity,
        envelope_usd=envelope,
        per_request=draw(st.integers(1, 3)),
        floors=chosen_floors,
    )


def random_problem(
    seed: int,
    *,
    n_requests: int = 400,
    n_offers: int = 300,
    n_windows: int = 8,
    lines_per_request: int = 12,
    per_request: int = 1,
) -> PlanningProblem:
    """A large random problem with contended capacities and binding envelopes."""
    rng = np.random.default_rng(seed)
    request = np.repeat(np.arange(n_requests), lines_per_request)
    offer = rng.integers(0, n_offers, request.size)
    window = rng.integers(-1, n_windows, request.size)
    keys = np.unique(np.stack([request, offer, window]), axis=1)
    request, offer, window = keys
    cost = rng.uniform(100, 2_000, request.size).round(2)
    capacity = [None if rng.random() < 0.1 else int(c) for c in rng.integers(0, 3, n_offers)]
    envelope = [float(e) for e in rng.uniform(5_000, 40_000, n_windows).round(2)]
    return PlanningProblem.create(
        n_requests=n_requests,
        request=request,
        offer=offer,
        window=window,
        score=rng.beta(2, 3, request.size),
        cost_usd=cost,
        capacity=capacity,
        envelope_usd=envelope,
        per_request=per_request,
    )
