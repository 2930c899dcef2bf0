"""Candidate pruning: the caller's approximation, done before the exact solve.

``solve`` is exact over the lines it is given. Keeping only each request's best offers and each
pair's best windows makes large portfolios tractable, but the plan is then optimal over the kept
lines only: when the best offers are contended, a dropped offer might have served a request that
the pruned plan leaves unserved. ``prune`` also drops lines no plan can take (a cost above the
window's whole envelope, an offer of capacity 0), which loses nothing.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from broker.planning.problem import NO_WINDOW, PlanningProblem


def prune(
    problem: PlanningProblem, *, offers_per_request: int | None = None, windows_per_pair: int | None = None
) -> NDArray[np.intp]:
    """The lines to keep: per request its best offers, per (request, offer) pair its best windows.

    Lines rank by score (highest first), then lower charged cost, then line index. A pair ranks by its
    best line. Use ``problem.restrict(kept)`` for the pruned problem.

    Args:
        problem: The full candidate set.
        offers_per_request: Distinct offers kept per request (None: all).
        windows_per_pair: Lines kept per (request, offer) pair, the no-window line counting as one
            (None: all).

    Returns:
        (n,) intp ascending indices of the kept lines.
    """
    charged = problem.charged_usd()
    takeable = problem.capacity[problem.offer] != 0
    windowed = problem.window != NO_WINDOW
    envelope = problem.envelope_usd[np.where(windowed, problem.window, 0)] if problem.n_windows else None
    if envelope is not None:
        takeable &= ~windowed | (charged <= envelope + 1e-9)
    lines = np.flatnonzero(takeable).astype(np.intp)
    # Best first within each pair, pairs of a request next to each other.
    pair = problem.request[lines].astype(np.int64) * problem.n_offers + problem.offer[lines]
    order = np.lexsort((lines, charged[lines], -problem.score[lines], pair))
    lines, pair = lines[order], pair[order]
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    rank_in_pair = np.arange(lines.size) - np.repeat(starts, np.diff(np.r_[starts, lines.size]))
    if windows_per_pair is not None:
        keep = rank_in_pair < windows_per_pair
        lines, pair, rank_in_pair = lines[keep], pair[keep], rank_in_pair[keep]
    if offers_per_request is not None and lines.size:
        heads = np.flatnonzero(rank_in_pair == 0)  # each pair's best line
        head = lines[heads]
        request = problem.request[head]
        by_request = np.lexsort((head, charged[head], -problem.score[head], request))
        req_sorted = request[by_request]
        starts = np.flatnonzero(np.r_[True, req_sorted[1:] != req_sorted[:-1]])
        rank = np.arange(head.size) - np.repeat(starts, np.diff(np.r_[starts, head.size]))
        kept_pairs = pair[heads[by_request[rank < offers_per_request]]]
        lines = lines[np.isin(pair, kept_pairs)]
    return np.sort(lines)
