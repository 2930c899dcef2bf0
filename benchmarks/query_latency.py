"""Latency of embedding one short query with the default encoder and each of its parts.

Wall-clock time on a shared machine mostly measures waiting for a core, so the CPU time of each
call is printed beside it: with one thread it is what the call costs on an idle core.

    PYTHONPATH=. .venv/bin/python benchmarks/query_latency.py [--runs 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

# Run as a script, this folder comes first on sys.path and benchmarks/http.py would hide the standard
# library's ``http`` package from httpx: put the repository there instead.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from broker.ranking.embedding.encoder import Encoder
from broker.ranking.embedding.models import load_encoder

QUERIES = (
    "Seguro de salud para trabajadores informales",
    "Assurance maladie pour les travailleurs du secteur informel",
    "Irrigação por gotejamento para pequenos agricultores",
    "Digital identity for social protection payments",
)


def measure(encoder: Encoder, runs: int) -> tuple[float, float, float]:
    encoder.encode(["warm up"])
    wall, cpu = [], []
    for i in range(runs):
        query = QUERIES[i % len(QUERIES)]
        w0, c0 = time.perf_counter(), time.process_time()
        encoder.encode([query])
        wall.append(1000 * (time.perf_counter() - w0))
        cpu.append(1000 * (time.process_time() - c0))
    return statistics.median(wall), min(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, 1-min load average at start {os.getloadavg()[0]:.2f}, one thread")
    print(f"{'encoder':24s} {'wall p50 ms':>12s} {'wall min ms':>12s} {'CPU p50 ms':>11s}")
    for name in ("e5+use", "multilingual-e5-small", "use-multilingual-v3"):
        p50, low, cpu = measure(load_encoder("model", name, 1), args.runs)
        print(f"{name:24s} {p50:12.1f} {low:12.1f} {cpu:11.1f}")


if __name__ == "__main__":
    main()
