"""Ranking latency, recall of the first pass and memory, for one request against synthetic corpora.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/ranking.py [--sizes 10000 100000 1000000] [--dim 896] [--json]

Each size runs in two fresh processes, so that peaks do not accumulate:

1. *build*: generates the corpus (``TopicSpace`` embeddings: cosines cluster as the default 896-d
   encoder's do), builds the ``OfferIndex`` (timed, first-pass codes included), writes its snapshot,
   and times, per request (top 10, at most 2 offers per institution, the encoder's semantic scale):

   * ``full``: ``OfferIndex.search(approximate=False)``: every factor for every offer, ranking;
   * ``ranked``: ``OfferIndex.search()`` as the service calls it, on unfiltered requests: below the
     first pass's threshold, score ceilings and the offers that can reach the list; from it, the
     first pass (``ranked_vs_semantic_p50`` is its p50 over ``semantic``'s);
   * ``naive``: the per-pair Python baseline (``benchmarks.naive``), at 10k only;
   * ``semantic``: bare numpy ``embeddings @ query`` (BLAS gemv), ``argpartition`` top 10, sort;
   * ``sem-einsum``: the same with ``np.einsum``, the semantic pass ``full`` uses;

   and the recall@10 of ``OfferIndex.search`` (first pass where the size switches it on) against
   ``full``, over plain requests and requests whose eligibility mask keeps 2% or 0.2% of the offers.
2. *serve*: a worker as in production: ``OfferIndex.load`` (memory-mapped snapshot), then
   ``OfferIndex.search`` as the size selects it (``approx``: first pass from the threshold on) for
   plain and filtered requests; its peak resident memory is ``peak_rss_mb``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# Run as a script, this folder comes first on sys.path and benchmarks/http.py would hide the standard
# library's ``http`` package from httpx: put the repository there instead.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from benchmarks.naive import naive_rank, naive_scores
from benchmarks.synthetic import TopicSpace, random_demand, random_supply, random_tables
from broker.matching import DemandArrays, FactorParams, MatchTables, OfferIndex

LIMIT, PER_INSTITUTION, N_LANGUAGES, N_REQUESTS = 10, 2, 180, 16
PARAMS = FactorParams(semantic_low=0.72, semantic_high=0.90)  # the default encoder's cosine range
FILTER_SHARES = (1.0, 0.02, 0.002)  # eligible share of the offers in the recall and serving requests


def _timings(run: Callable[[int], object], repetitions: int, warmup: int) -> dict[str, float]:
    """Wall-clock and process CPU time per call, in ms (CPU time excludes waiting for a core)."""
    for k in range(warmup):
        run(k)
    wall, cpu = [], []
    for k in range(repetitions):
        start, start_cpu = time.perf_counter(), time.process_time()
        run(k)
        wall.append((time.perf_counter() - start) * 1e3)
        cpu.append((time.process_time() - start_cpu) * 1e3)
    return {
        "runs": len(wall),
        "p50_ms": float(np.percentile(wall, 50)),
        "p99_ms": float(np.percentile(wall, 99)),
        "min_ms": min(wall),
        "cpu_p50_ms": float(np.percentile(cpu, 50)),
    }


def _memory() -> dict[str, float]:
    """This process's peak and current resident memory, in MB (Linux ``/proc/self/status``)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
            fields[key] = int(value.split()[0]) / 1024
    names = {"VmHWM": "peak_rss_mb", "VmRSS": "rss_mb", "RssAnon": "rss_anon_mb", "RssFile": "rss_file_mb"}
    return {name: round(fields[key], 1) for key, name in names.items()}


def _requests(n: int, seed: int, dim: int) -> tuple[MatchTables, list[DemandArrays], list[np.ndarray | None]]:
    """The tables, requests and eligibility masks (shares ``FILTER_SHARES``, cycled) of a size."""
    tables = random_tables(np.random.default_rng(seed))
    rng = np.random.default_rng(seed + 1)
    space = TopicSpace(dim=dim)
    requests = [
        random_demand(rng, 1, tables, n_languages=N_LANGUAGES, space=space) for _ in range(N_REQUESTS)
    ]
    masks = [None if share == 1.0 else rng.random(n) < share for share in FILTER_SHARES]
    return tables, requests, masks


def build(n: int, repetitions: int, seed: int, dim: int, snapshot: Path) -> dict[str, Any]:
    """Build process: corpus, index, snapshot, exact and bare semantic timings, recall."""
    tables, requests, masks = _requests(n, seed, dim)
    started = time.perf_counter()
    corpus = random_supply(np.random.default_rng(seed + 2), n, tables, n_languages=N_LANGUAGES,
                           space=TopicSpace(dim=dim))  # fmt: skip
    generate_s = time.perf_counter() - started
    started = time.perf_counter()
    index = OfferIndex.from_supply(
        corpus.supply, ids=corpus.ids, institution_ids=corpus.institution_ids, n_languages=N_LANGUAGES
    )
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    index.save(snapshot, metadata={"generation": 1})
    save_s = time.perf_counter() - started
    embeddings = index.supply().embedding

    def full(k: int) -> list[int]:
        result = index.search(requests[k % N_REQUESTS], tables, params=PARAMS, limit=LIMIT,
                              per_institution=PER_INSTITUTION, approximate=False)  # fmt: skip
        return [m.id for m in result.matches]

    def ranked(k: int) -> list[int]:  # as the service ranks: ceilings below the threshold, pool above
        result = index.search(requests[k % N_REQUESTS], tables, params=PARAMS, limit=LIMIT,
                              per_institution=PER_INSTITUTION)  # fmt: skip
        return [m.id for m in result.matches]

    def naive(k: int) -> list[int]:
        pairs = naive_scores(requests[k % N_REQUESTS], corpus.supply, tables, params=PARAMS)
        ids, institutions = corpus.ids.tolist(), corpus.institution_ids.tolist()
        kept = naive_rank([p.score for p in pairs], ids, institutions, [True] * n, LIMIT, PER_INSTITUTION)
        return [ids[i] for i in kept]

    def semantic(k: int) -> list[int]:
        scores = embeddings @ requests[k % N_REQUESTS].embedding[0]
        top = np.argpartition(scores, len(scores) - LIMIT)[-LIMIT:]
        best: list[int] = index.ids[top[np.argsort(-scores[top])]].tolist()
        return best

    def semantic_einsum(k: int) -> list[int]:
        scores = np.einsum("ij,j->i", embeddings, requests[k % N_REQUESTS].embedding[0])
        top = np.argpartition(scores, len(scores) - LIMIT)[-LIMIT:]
        best: list[int] = index.ids[top[np.argsort(-scores[top])]].tolist()
        return best

    result: dict[str, Any] = {
        "offers": n,
        "dim": dim,
        "generate_s": round(generate_s, 2),
        "build_s": round(build_s, 2),
        "snapshot_save_s": round(save_s, 2),
        "first_pass": n >= index.prefilter.threshold,
        "full": _timings(full, repetitions, warmup=3),
        "ranked": _timings(ranked, repetitions, warmup=3),
        "semantic": _timings(semantic, repetitions, warmup=3),
        "sem-einsum": _timings(semantic_einsum, repetitions, warmup=3),
    }
    result["ranked_vs_semantic_p50"] = round(result["ranked"]["p50_ms"] / result["semantic"]["p50_ms"], 2)
    if n <= 20_000:
        result["naive"] = _timings(naive, 3, warmup=0)
        result["full_equals_naive"] = all(full(k) == naive(k) for k in range(2))
    recalls: dict[str, list[float]] = {}
    identical = certified = 0
    for share, mask in zip(FILTER_SHARES, masks, strict=True):
        for request in requests:
            query: dict[str, Any] = {"eligible": mask, "params": PARAMS, "limit": LIMIT,
                                     "per_institution": PER_INSTITUTION}  # fmt: skip
            exact = [m.id for m in index.search(request, tables, approximate=False, **query).matches]
            found = index.search(request, tables, **query)
            approx = [m.id for m in found.matches]
            recalls.setdefault(str(share), []).append(len(set(exact) & set(approx)) / max(1, len(exact)))
            identical += approx == exact
            certified += found.certified
    every = [r for values in recalls.values() for r in values]
    result["recall_at_10"] = round(float(np.mean(every)), 4)
    result["recall_at_10_by_eligible_share"] = {k: round(float(np.mean(v)), 4) for k, v in recalls.items()}
    result["lists_identical"] = f"{identical}/{len(every)}"
    result["lists_certified"] = f"{certified}/{len(every)}"
    result["build_peak_rss_mb"] = _memory()["peak_rss_mb"]
    return result


def serve(n: int, repetitions: int, seed: int, dim: int, snapshot: Path) -> dict[str, Any]:
    """Serving process: load the snapshot memory-mapped and rank as a worker does."""
    tables, requests, masks = _requests(n, seed, dim)
    started = time.perf_counter()
    index, _ = OfferIndex.load(snapshot, mmap=True)
    load_s = time.perf_counter() - started
    queries = [(request, mask) for mask in masks for request in requests]

    def search(k: int) -> object:
        request, mask = queries[k % len(queries)]
        return index.search(request, tables, params=PARAMS, eligible=mask, limit=LIMIT,
                            per_institution=PER_INSTITUTION)  # fmt: skip

    timings = _timings(search, repetitions, warmup=3)
    return {"snapshot_load_s": round(load_s, 2), "served": timings, **_memory()}


def run_size(n: int, repetitions: int, seed: int, dim: int) -> dict[str, Any]:
    """Run the two processes of one size and merge their figures into one result."""
    with tempfile.TemporaryDirectory(prefix="ranking-bench-") as folder:
        snapshot = Path(folder) / "index"
        common = ["--size", str(n), "--repetitions", str(repetitions), "--seed", str(seed),
                  "--dim", str(dim), "--snapshot", str(snapshot)]  # fmt: skip
        outputs = []
        for role in ("build", "serve"):
            command = [sys.executable, str(Path(__file__).resolve()), "--role", role, *common]
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            outputs.append(json.loads(done.stdout))
    built, served = outputs
    result = {**built, "peak_rss_mb": served.pop("peak_rss_mb"), "serving": served}
    result["approx"] = served["served"] if built["first_pass"] else None
    return result


def main() -> None:
    """Run the benchmark and print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--dim", type=int, default=896, help="embedding dimension (896: default encoder)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--role", choices=["build", "serve"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--snapshot", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.role is not None:  # one of the two processes of a size
        role = build if args.role == "build" else serve
        print(json.dumps(role(args.size, args.repetitions, args.seed, args.dim, args.snapshot)))
        return
    env = {
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
        "loadavg_at_start": Path("/proc/loadavg").read_text().strip(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "machine": platform.machine(),
    }
    results = []
    for n in args.sizes:
        repetitions = args.repetitions if n <= 20_000 else args.repetitions // 2 if n <= 200_000 else 30
        results.append(run_size(n, repetitions, args.seed, args.dim))
    env["loadavg_at_end"] = Path("/proc/loadavg").read_text().strip()
    if args.json:
        print(json.dumps({"environment": env, "results": results}, indent=2))
        return
    print(f"python {env['python']}, numpy {env['numpy']}, {env['cpus']} CPUs, dim {args.dim}", end=", ")
    print(f"OPENBLAS_NUM_THREADS={env['openblas_threads']}, /proc/loadavg at start {env['loadavg_at_start']}")
    header = f"{'offers':>8} {'method':<10} {'runs':>5} {'p50 ms':>10} {'p99 ms':>10} {'min ms':>10}"
    print(f"{header} {'CPU p50 ms':>11}")
    for result in results:
        for method in ("full", "ranked", "naive", "semantic", "sem-einsum", "approx"):
            row = result.get(method)
            if row is None:
                continue
            print(
                f"{result['offers']:>8} {method:<10} {row['runs']:>5} {row['p50_ms']:>10.2f} "
                f"{row['p99_ms']:>10.2f} {row['min_ms']:>10.2f} {row['cpu_p50_ms']:>11.2f}"
            )
        served = result["serving"]
        print(
            f"{'':>8} recall@10 {result['recall_at_10']} (by eligible share "
            f"{result['recall_at_10_by_eligible_share']}), identical lists {result['lists_identical']}, "
            f"certified {result['lists_certified']}"
        )
        print(
            f"{'':>8} build {result['build_s']} s, snapshot save {result['snapshot_save_s']} s, "
            f"load {served['snapshot_load_s']} s; serving worker peak RSS {result['peak_rss_mb']} MB "
            f"(at the end: anon {served['rss_anon_mb']}, file-backed {served['rss_file_mb']}); "
            f"build process peak {result['build_peak_rss_mb']} MB"
        )
        if "full_equals_naive" in result:
            print(f"{'':>8} full == naive on the first requests: {result['full_equals_naive']}")
    print(f"/proc/loadavg at end {env['loadavg_at_end']}")


if __name__ == "__main__":
    main()
