"""Ranking latency for one request against synthetic corpora of offers.

Usage::

    PYTHONPATH=. .venv/bin/python benchmarks/ranking.py [--sizes 10000 100000] [--json]

For each corpus size it times, per request, top 10 with at most 2 offers per institution:

* ``full``: ``OfferIndex.search`` (all six factors, ranking, ``RankedMatch`` objects);
* ``naive``: the per-pair Python baseline (``benchmarks.naive``), on a few repetitions only;
* ``semantic``: bare numpy: embeddings @ query (BLAS gemv), ``argpartition`` top 10, sort (no
  other factor, no diversity cap) - the floor set by reading the embedding matrix once;
* ``sem-einsum``: the same with ``np.einsum`` (numpy's own SIMD loop, single-threaded), which is
  what ``full`` uses for its semantic pass.

It also checks that ``full`` and ``naive`` return the same offers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.naive import naive_rank, naive_scores
from benchmarks.synthetic import random_demand, random_supply, random_tables
from broker.matching import OfferIndex

LIMIT, PER_INSTITUTION, N_LANGUAGES = 10, 2, 180


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


def bench_size(n: int, repetitions: int, naive_repetitions: int, seed: int) -> dict[str, object]:
    """Time the three methods on a corpus of n offers."""
    rng = np.random.default_rng(seed)
    tables = random_tables(rng)
    corpus = random_supply(rng, n, tables, n_languages=N_LANGUAGES)
    index = OfferIndex.from_supply(
        corpus.supply, ids=corpus.ids, institution_ids=corpus.institution_ids, n_languages=N_LANGUAGES
    )
    requests = [random_demand(rng, 1, tables, n_languages=N_LANGUAGES) for _ in range(16)]
    embeddings = index.supply().embedding

    def full(k: int) -> list[int]:
        result = index.search(requests[k % 16], tables, limit=LIMIT, per_institution=PER_INSTITUTION)
        return [m.id for m in result.matches]

    def naive(k: int) -> list[int]:
        pairs = naive_scores(requests[k % 16], corpus.supply, tables)
        ids, institutions = corpus.ids.tolist(), corpus.institution_ids.tolist()
        kept = naive_rank([p.score for p in pairs], ids, institutions, [True] * n, LIMIT, PER_INSTITUTION)
        return [ids[i] for i in kept]

    def semantic(k: int) -> list[int]:
        scores = embeddings @ requests[k % 16].embedding[0]
        top = np.argpartition(scores, len(scores) - LIMIT)[-LIMIT:]
        best: list[int] = index.ids[top[np.argsort(-scores[top])]].tolist()
        return best

    def semantic_einsum(k: int) -> list[int]:
        scores = np.einsum("ij,j->i", embeddings, requests[k % 16].embedding[0])
        top = np.argpartition(scores, len(scores) - LIMIT)[-LIMIT:]
        best: list[int] = index.ids[top[np.argsort(-scores[top])]].tolist()
        return best

    agree = all(full(k) == naive(k) for k in range(2))
    return {
        "offers": n,
        "full": _timings(full, repetitions, warmup=5),
        "naive": _timings(naive, naive_repetitions, warmup=0),
        "semantic": _timings(semantic, repetitions, warmup=5),
        "sem-einsum": _timings(semantic_einsum, repetitions, warmup=5),
        "full_equals_naive": agree,
    }


def main() -> None:
    """Run the benchmark and print a table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repetitions", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    env = {
        "load_average_1min_at_start": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "cpus": os.cpu_count(),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"),
        "machine": platform.machine(),
    }
    results = [
        bench_size(
            n, args.repetitions if n <= 20_000 else args.repetitions // 2, 5 if n <= 20_000 else 3, args.seed
        )
        for n in args.sizes
    ]
    if args.json:
        print(json.dumps({"environment": env, "results": results}, indent=2))
        return
    print(f"python {env['python']}, numpy {env['numpy']}, {env['cpus']} CPUs", end=", ")
    load = env["load_average_1min_at_start"]
    print(f"OPENBLAS_NUM_THREADS={env['openblas_threads']}, 1-min load average at start {load}")
    header = f"{'offers':>8} {'method':<10} {'runs':>5} {'p50 ms':>10} {'p99 ms':>10} {'min ms':>10}"
    print(f"{header} {'CPU p50 ms':>11}")
    for result in results:
        for method in ("full", "naive", "semantic", "sem-einsum"):
            row = result[method]
            assert isinstance(row, dict)
            print(
                f"{result['offers']:>8} {method:<10} {row['runs']:>5} {row['p50_ms']:>10.2f} "
                f"{row['p99_ms']:>10.2f} {row['min_ms']:>10.2f} {row['cpu_p50_ms']:>11.2f}"
            )
        print(f"{'':>8} full == naive on the first requests: {result['full_equals_naive']}")


if __name__ == "__main__":
    main()
