"""Portfolio plan: build, prune and solve time, objective against the greedy baseline.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/plan.py [--requests 1000] [--offers 10000] [--windows 50]
        [--offers-per-request 20] [--windows-per-pair 3] [--floor-share 0.4] [--time-limit 50] [--json]

A seeded synthetic portfolio: ``TopicSpace`` embeddings (cosines cluster as the default encoder's do),
5 regions and 12 sector groups on both sides. A pair's score is 0.6 x the semantic factor on the
default encoder's scale (0.72-0.90) + 0.2 if the sector groups match + 0.2 if the regions do; its
cost is USD 4-12k within a region and 10-30k across. Offers take 1-4 exchanges a year (5%
unlimited); a fifth fund themselves (a line without a window). Each window funds one region (or
all, one in five) and 3 sector groups, pays 50-100% of a pair's cost, and holds an envelope of
USD 60-240k: about half the requests can be funded. Candidates: each request's best
``--offers-per-request`` offers (from the 10M dense scores), every eligible window per pair, then
``prune`` keeps ``--windows-per-pair`` lines per pair (cheapest first: windows do not change the
score). The floor asks that ``--floor-share`` of each region's requests be served (0: none).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

# Run as a script, this folder comes first on sys.path and benchmarks/http.py would hide the standard
# library's ``http`` package from httpx: put the repository there instead.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from benchmarks.synthetic import TopicSpace
from broker.planning import Floor, PlanningProblem, make_plan, prune, unmet_cells

N_REGIONS, N_GROUPS, DIM = 5, 12, 256


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """HiGHS prints debugging lines on file descriptor 1; keep them out of the report (and --json)."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def build(args: argparse.Namespace) -> tuple[PlanningProblem, list[tuple[int, int]], dict[str, float]]:
    """The seeded portfolio as a pruned ``PlanningProblem``, each request's cell, and timings."""
    rng = np.random.default_rng(args.seed)
    timings = {}
    start = time.perf_counter()
    space = TopicSpace(dim=DIM)
    req_emb, off_emb = space.rows(rng, args.requests), space.rows(rng, args.offers)
    req_region, off_region = (
        rng.integers(0, N_REGIONS, args.requests),
        rng.integers(0, N_REGIONS, args.offers),
    )
    req_group, off_group = rng.integers(0, N_GROUPS, args.requests), rng.integers(0, N_GROUPS, args.offers)
    capacity = [None if rng.random() < 0.05 else int(c) for c in rng.integers(1, 5, args.offers)]
    self_funded = rng.random(args.offers) < 0.05
    win_region = np.where(rng.random(args.windows) < 0.2, -1, rng.integers(0, N_REGIONS, args.windows))
    win_groups = np.zeros((args.windows, N_GROUPS), bool)
    for w in range(args.windows):
        win_groups[w, rng.choice(N_GROUPS, 3, replace=False)] = True
    win_share = rng.uniform(0.5, 1.0, args.windows)
    envelope = rng.uniform(60_000, 240_000, args.windows).round(-3)
    timings["generate_s"] = time.perf_counter() - start

    start = time.perf_counter()
    semantic = np.clip(((req_emb @ off_emb.T) - 0.72) / 0.18, 0.0, 1.0)
    score = 0.6 * semantic
    score += 0.2 * (req_group[:, None] == off_group[None, :])
    score += 0.2 * (req_region[:, None] == off_region[None, :])
    top = np.argpartition(-score, args.offers_per_request - 1, axis=1)[:, : args.offers_per_request]
    pair_req = np.repeat(np.arange(args.requests), args.offers_per_request)
    pair_off = top.reshape(-1)
    pair_score = score[pair_req, pair_off]
    local = req_region[pair_req] == off_region[pair_off]
    pair_cost = np.where(
        local, rng.uniform(4_000, 12_000, pair_req.size), rng.uniform(10_000, 30_000, pair_req.size)
    )
    # Lines: every eligible window of each pair, and no window when the offer funds itself.
    eligible = win_groups[:, req_group[pair_req]].T & (
        (win_region[None, :] == -1) | (win_region[None, :] == req_region[pair_req][:, None])
    )
    pair_of_line, window = np.nonzero(eligible)
    selfpaid = np.flatnonzero(self_funded[pair_off])
    pair_of_line = np.concatenate([pair_of_line, selfpaid])
    window = np.concatenate([window, np.full(selfpaid.size, -1)])
    cost = np.where(window >= 0, pair_cost[pair_of_line] * win_share[window], 0.0).round(2)
    full = PlanningProblem.create(
        n_requests=args.requests,
        request=pair_req[pair_of_line],
        offer=pair_off[pair_of_line],
        window=window,
        score=pair_score[pair_of_line],
        cost_usd=cost,
        capacity=capacity,
        envelope_usd=envelope.tolist(),
        floors=[Floor("region", tuple(f"region-{r}" for r in req_region), min_share=args.floor_share)]
        if args.floor_share > 0
        else [],
    )
    timings["candidates_s"] = time.perf_counter() - start
    start = time.perf_counter()
    kept = prune(full, offers_per_request=args.offers_per_request, windows_per_pair=args.windows_per_pair)
    problem = full.restrict(kept)
    timings["prune_s"] = time.perf_counter() - start
    timings["lines_before_prune"] = full.n_lines
    cells = [(int(g), int(r)) for g, r in zip(req_group, req_region, strict=True)]
    return problem, cells, timings


def run(args: argparse.Namespace) -> dict[str, Any]:
    load = Path("/proc/loadavg").read_text().strip()
    begin = time.perf_counter()
    problem, cells, timings = build(args)
    start = time.perf_counter()
    with _stdout_to_stderr():
        plan = make_plan(problem, time_limit_s=args.time_limit, mip_rel_gap=args.gap)
    plan_s = time.perf_counter() - start
    start = time.perf_counter()
    gaps = unmet_cells(problem, plan.solution.selection, cells=cells, capacity=3) if plan.lines else ()
    whatif_s = time.perf_counter() - start
    reasons: dict[str, int] = {}
    for d in plan.displaced:
        reasons[d.reason] = reasons.get(d.reason, 0) + 1
    served = len({line.request for line in plan.lines})
    return {
        "load_average_at_start": load,
        "requests": args.requests,
        "offers": args.offers,
        "windows": args.windows,
        "offers_per_request": args.offers_per_request,
        "windows_per_pair": args.windows_per_pair,
        "floor_share": args.floor_share,
        "lines": problem.n_lines,
        **{k: round(v, 3) for k, v in timings.items()},
        "status": plan.status.value,
        "solve_s": round(plan.solution.solve_s, 3),
        "plan_report_s": round(plan_s, 3),
        "objective": plan.objective,
        "bound": plan.solution.bound,
        "gap": plan.solution.gap,
        "greedy_objective": plan.greedy.objective,
        "greedy_ratio": plan.greedy_ratio,
        "greedy_meets_floors": plan.greedy_meets_floors,
        "served": served,
        "greedy_served": int(np.unique(problem.request[plan.greedy.lines]).size),
        "displaced": reasons,
        "whatif_s": round(whatif_s, 4),
        "top_cells": [[list(g.cell), g.unserved, g.would_serve] for g in gaps[:3]],
        "shortfalls": [[f.floor, f.group, f.required, f.max_servable] for f in plan.solution.shortfalls],
        "total_s": round(time.perf_counter() - begin, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--windows", type=int, default=50)
    parser.add_argument("--offers-per-request", type=int, default=20)
    parser.add_argument("--windows-per-pair", type=int, default=3)
    parser.add_argument(
        "--floor-share", type=float, default=0.4, help="share of each region served; 0: no floor"
    )
    parser.add_argument("--time-limit", type=float, default=50.0, help="seconds for HiGHS")
    parser.add_argument("--gap", type=float, default=0.0, help="relative MIP gap at which HiGHS may stop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = run(args)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"1-min load average at start: {report['load_average_at_start']}")
    print(
        f"{report['requests']} requests x {report['offers']} offers x {report['windows']} windows; "
        f"top {report['offers_per_request']} offers per request, "
        f"{report['windows_per_pair']} lines per pair: "
        f"{report['lines_before_prune']} lines before prune, {report['lines']} after"
    )
    print(
        f"generate {report['generate_s']:.2f} s, candidates {report['candidates_s']:.2f} s, "
        f"prune {report['prune_s']:.2f} s"
    )
    gap = "n/a" if report["gap"] is None else f"{report['gap']:.2e}"
    print(
        f"solve {report['solve_s']:.2f} s ({report['status']}, gap {gap}), whole report "
        f"{report['plan_report_s']:.2f} s, what-if {report['whatif_s'] * 1e3:.1f} ms"
    )
    if report["objective"] is None:  # infeasible floors, or no plan before the limit
        print(f"no plan; floors short [floor, group, required, servable]: {report['shortfalls']}")
        return
    print(
        f"objective {report['objective']:.3f} (bound {report['bound']:.3f}), "
        f"greedy {report['greedy_objective']:.3f}, "
        f"ratio {report['greedy_ratio']:.4f}; served {report['served']} (greedy {report['greedy_served']}); "
        f"greedy meets the floors: {report['greedy_meets_floors']}"
    )
    print(f"displaced lines by reason: {report['displaced']}")
    print(
        "what-if, top cells [(sector group, region), unserved, a new offer of capacity 3 serves]: "
        f"{report['top_cells']}"
    )
    print(f"total {report['total_s']:.2f} s")


if __name__ == "__main__":
    main()
