"""Requests per second of three calls against a served demo corpus, with the same load generator.

A fresh SQLite database in a temporary folder gets the migrations, an admin key and the demo corpus;
``broker serve`` then runs on a free loopback port (127.0.0.1 only) with ``--workers``. Each call is
driven in turn by ``--clients`` threads for ``--seconds`` (bounded: at most ``--max-requests`` per
call), after a short warm-up, and the server is stopped at the end:

* ``GET /api/v1/offers?limit=20`` — a plain paged list (the reference);
* ``GET /api/v1/requests/{id}/matches`` — ranked offers of stored requests (cycling the demo's open
  requests, so every list is ranked; after the warm-up none has changed, so none is re-stored);
* ``POST /api/v1/match`` — an unstored request, the same text every time (the query-vector cache).

    PYTHONPATH=. .venv/bin/python benchmarks/http.py [--workers 2] [--clients 8] [--seconds 15] [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and its name would hide the standard
# library's ``http`` package from httpx: put the repository there instead.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import json
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
EXPLORE = {
    "title": "Seguro de salud para trabajadores informales",
    "description": "La mitad de los trabajadores no cotiza a ningún seguro; queremos aprender cómo otros "
    "países afiliaron a trabajadores informales y cómo financiaron la cobertura.",
    "country": "GT",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "broker", *args], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def _drive(call: Any, *, clients: int, seconds: float, max_requests: int) -> dict[str, float]:
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker(n: int) -> None:
        with httpx.Client(timeout=30) as client:
            i = n
            while time.perf_counter() < deadline:
                with lock:
                    if len(latencies) + failures[0] >= max_requests:
                        return
                started = time.perf_counter()
                ok = call(client, i)
                elapsed = time.perf_counter() - started
                with lock:
                    if ok:
                        latencies.append(elapsed)
                    else:
                        failures[0] += 1
                i += clients

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered, nan = sorted(latencies), float("nan")
    return {
        "requests": len(latencies),
        "failures": failures[0],
        "rps": len(latencies) / wall,
        "p50_ms": 1000 * statistics.median(ordered) if ordered else nan,
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
        if ordered
        else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--encoder", default="model", help='"model" (the default encoder) or "hashing"')
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="broker-http-bench-") as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BROKER_")}
        env |= {
            "BROKER_DATABASE_URL": f"sqlite:///{folder}/bench.db",
            "BROKER_ENCODER": args.encoder,
            "BROKER_LOG_LEVEL": "warning",
            "BROKER_EXPENSIVE_CALLS_PER_MINUTE": "1000000",
        }
        _cli(env, "db", "upgrade")
        key = _cli(env, "keys", "create", "--role", "admin", "--name", "bench").strip().splitlines()[-1]
        _cli(env, "demo", "load")
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(Path(folder) / "server.log", "wb")  # noqa: SIM115 - closed after the server stops
        server = subprocess.Popen(
            [sys.executable, "-m", "broker", "serve", "--host", "127.0.0.1", "--port", str(port),
             "--workers", str(args.workers)],
            cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            headers = {"Authorization": f"Bearer {key}"}
            for _ in range(600):
                try:
                    if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
            open_requests = [
                r["id"]
                for r in httpx.get(
                    f"{base}/api/v1/requests?status=open&limit=100", headers=headers, timeout=30
                ).json()["items"]
            ]

            def offers(client: httpx.Client, _i: int) -> bool:
                return client.get(f"{base}/api/v1/offers?limit=20", headers=headers).status_code == 200

            def matches(client: httpx.Client, i: int) -> bool:
                url = f"{base}/api/v1/requests/{open_requests[i % len(open_requests)]}/matches"
                return client.get(url, headers=headers).status_code == 200

            def explore(client: httpx.Client, _i: int) -> bool:
                return client.post(f"{base}/api/v1/match", json=EXPLORE, headers=headers).status_code == 200

            calls = {"offers": offers, "matches": matches, "match": explore}
            # Warm-up: each request's list is ranked and stored once (a later ranking by any worker
            # finds it unchanged), each worker syncs its index and caches the explored text.
            with httpx.Client(timeout=60) as client:
                for i in range(len(open_requests)):
                    matches(client, i)
            for call in calls.values():
                _drive(call, clients=args.clients, seconds=3, max_requests=4 * len(open_requests))
            load = Path("/proc/loadavg").read_text().split()[0]
            results = {
                name: _drive(call, clients=args.clients, seconds=args.seconds, max_requests=args.max_requests)
                for name, call in calls.items()
            }
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()

    reference = results["offers"]["rps"]
    report = {
        "workers": args.workers,
        "clients": args.clients,
        "encoder": args.encoder,
        "open_requests": len(open_requests),
        "load_average_1min_at_start": float(load),
        "calls": {
            "GET /api/v1/offers?limit=20": results["offers"],
            "GET /api/v1/requests/{id}/matches": results["matches"],
            "POST /api/v1/match (same text)": results["match"],
        },
        "ratio_vs_offers": {
            "matches": results["matches"]["rps"] / reference,
            "match": results["match"]["rps"] / reference,
        },
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"{args.workers} workers, {args.clients} clients, encoder {args.encoder}, "
        f"{len(open_requests)} open requests, 1-min load average at start {load}"
    )
    print(
        f"{'call':40} {'requests':>9} {'fail':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs offers':>9}"
    )
    for name, row in report["calls"].items():  # type: ignore[attr-defined]
        print(
            f"{name:40} {row['requests']:9d} {row['failures']:5d} {row['rps']:8.1f} "
            f"{row['p50_ms']:8.1f} {row['p99_ms']:8.1f} {row['rps'] / reference:9.2f}"
        )


if __name__ == "__main__":
    main()
