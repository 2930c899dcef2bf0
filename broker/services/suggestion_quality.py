"""How good the code suggestions are: accuracy per language, calibration, off-topic texts.

English: k-fold over the demo corpus (each fold's suggester learns from the other folds only, and
fits its own calibrator on them). Spanish, French, Portuguese (and a few English): the requests of
data/eval/multilingual.json against a suggester that learns from the whole demo corpus.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from broker.config import REPO_ROOT
from broker.matching.labels import ALPHA
from broker.ranking.embedding import Encoder
from broker.ranking.embedding.store import ensure_vectors
from broker.services.suggestion_texts import LabelledRecord, demo_pool
from broker.services.suggestions import CONFIDENT, CodeSuggester

MULTILINGUAL = REPO_ROOT / "data" / "eval" / "multilingual.json"
METHODS = {"prototypes": 0.0, "neighbours": 1.0, "blend": ALPHA}
COLUMNS = ("n", "sec@1", "sec@3", "cat@1", "cat@3", "sdg@3", "mod@3", "out@3", "conf.prec", "conf.cov")
BUCKETS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.01)
# Never in the background texts of the suggester: these measure its "none of these codes" class.
OFF_TOPIC = (
    ("Training astronauts for a Mars landing", "Preparing a crew for a long flight and a landing on Mars."),
    ("A recipe for chocolate cake", "Melt the chocolate, whisk the eggs with sugar and bake for 40 minutes."),
    ("Gâteau au chocolat", "Faire fondre le chocolat, battre les œufs avec le sucre et cuire 40 minutes."),
    ("Astronautas en Marte", "Entrenar a la tripulación para un vuelo largo y un aterrizaje en Marte."),
    ("Campeonato de surfe", "Os melhores surfistas do mundo competem nas ondas gigantes de Nazaré."),
    ("Fan fiction", "A story about dragons and wizards fighting over an enchanted castle."),
)


@dataclass
class Report:
    methods: dict[str, dict[str, dict[str, float]]] = field(
        default_factory=dict
    )  # method -> language -> metric
    reliability: list[dict[str, float]] = field(default_factory=list)  # chosen method, sectors
    off_topic: dict[str, int] = field(default_factory=dict)  # method -> texts with a confident sector
    confident_at: float = CONFIDENT
    folds: int = 5

    def as_dict(self) -> dict[str, object]:
        return {
            "methods": self.methods,
            "reliability": self.reliability,
            "off_topic_with_confident_sector": self.off_topic,
            "off_topic_texts": len(OFF_TOPIC),
            "confident_at": self.confident_at,
            "folds": self.folds,
        }


def multilingual_records() -> list[tuple[str, LabelledRecord]]:
    """(language, record) for each request of data/eval/multilingual.json."""
    rows = json.loads(MULTILINGUAL.read_text(encoding="utf-8"))["requests"]
    return [
        (
            row["language"],
            LabelledRecord(
                row["title"],
                row["description"],
                {
                    "sectors": tuple(row["sectors"]),
                    "sdgs": tuple(str(g) for g in row["sdgs"]),
                    "modalities": tuple(row.get("modalities", ())),
                    "outcomes": tuple(row.get("desired_outcomes", ())),
                },
            ),
        )
        for row in rows
    ]


def evaluate_suggestions(session: Session, *, encoder: Encoder, folds: int = 5) -> Report:
    """Every method of ``METHODS`` on held-back demo records and the multilingual set."""
    pool = list(demo_pool())
    fold_of = np.random.default_rng(0).permutation(len(pool)) % folds
    pool_vectors = _embed(session, encoder, pool)
    extra = multilingual_records() if MULTILINGUAL.exists() else []
    extra_vectors = _embed(session, encoder, [r for _, r in extra])
    off_vectors = np.stack(
        ensure_vectors(session, encoder=encoder, texts=[f"{t}.\n{d}" for t, d in OFF_TOPIC])
    )
    report = Report(folds=folds)
    for method, alpha in METHODS.items():
        scored: list[tuple[str, LabelledRecord, dict[str, NDArray[np.float64]]]] = []
        for fold in range(folds):
            train = [r for r, f in zip(pool, fold_of, strict=True) if f != fold]
            held = [i for i, f in enumerate(fold_of) if f == fold]
            suggester = CodeSuggester(encoder, pool=train, alpha=alpha)
            suggester.prepare(session)
            kinds = _kind_scores(suggester, pool_vectors[held])
            scored += [
                ("en (demo)", pool[i], {k: v[j] for k, v in kinds.items()}) for j, i in enumerate(held)
            ]
        full = CodeSuggester(encoder, alpha=alpha)
        full.prepare(session)
        lists = full.references(session).lists
        codes = {kind: lists[kind].codes for kind in ("sectors", "sdgs", "modalities", "outcomes")}
        if extra:
            kinds = _kind_scores(full, extra_vectors)
            scored += [(lang, r, {k: v[j] for k, v in kinds.items()}) for j, (lang, r) in enumerate(extra)]
        report.methods[method] = _metrics(scored, codes)
        off = full.scores("sectors", off_vectors)
        report.off_topic[method] = int((off.max(axis=1) >= CONFIDENT).sum())
        if alpha == ALPHA:
            report.reliability = _reliability(scored, codes["sectors"])
    return report


def _embed(session: Session, encoder: Encoder, records: Sequence[LabelledRecord]) -> NDArray[np.float32]:
    if not records:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return np.stack(ensure_vectors(session, encoder=encoder, texts=[r.text for r in records]))


def _kind_scores(suggester: CodeSuggester, vectors: NDArray[np.float32]) -> dict[str, NDArray[np.float64]]:
    return {kind: suggester.scores(kind, vectors) for kind in ("sectors", "sdgs", "modalities", "outcomes")}


def _top(scores: NDArray[np.float64], codes: tuple[str, ...], k: int) -> list[str]:
    return [codes[i] for i in np.argsort(-scores, kind="stable")[:k]]


def _metrics(
    scored: list[tuple[str, LabelledRecord, dict[str, NDArray[np.float64]]]],
    codes: dict[str, tuple[str, ...]],
) -> dict[str, dict[str, float]]:
    by_language: dict[str, list[dict[str, float]]] = {}
    for language, record, scores in scored:
        gold = {kind: set(record.codes.get(kind, ())) for kind in codes}
        top = {kind: _top(scores[kind], codes[kind], 3) for kind in codes}
        sectors = scores["sectors"]
        confident = [codes["sectors"][i] for i in np.flatnonzero(sectors >= CONFIDENT)]
        row = {
            "sec@1": float(top["sectors"][0] in gold["sectors"]),
            "sec@3": float(bool(set(top["sectors"]) & gold["sectors"])),
            "cat@1": float(top["sectors"][0][:3] in {c[:3] for c in gold["sectors"]}),
            "cat@3": float(bool({c[:3] for c in top["sectors"]} & {c[:3] for c in gold["sectors"]})),
            "sdg@3": float(bool(set(top["sdgs"]) & gold["sdgs"])),
            "mod@3": float(bool(set(top["modalities"]) & gold["modalities"]))
            if gold["modalities"]
            else np.nan,
            "out@3": float(bool(set(top["outcomes"]) & gold["outcomes"])) if gold["outcomes"] else np.nan,
            "confident": float(len(confident)),
            "confident_hits": float(len(set(confident) & gold["sectors"])),
        }
        by_language.setdefault(language, []).append(row)
    result = {}
    for language in sorted(by_language, key=lambda lang: (not lang.startswith("en ("), lang)):
        rows = by_language[language]
        summary = {c: float(np.nanmean([r[c] for r in rows])) for c in COLUMNS[1:8]}
        made = sum(r["confident"] for r in rows)
        summary["conf.prec"] = sum(r["confident_hits"] for r in rows) / made if made else float("nan")
        summary["conf.cov"] = float(np.mean([r["confident"] > 0 for r in rows]))
        result[language] = {"n": float(len(rows)), **summary}
    return result


def _reliability(
    scored: list[tuple[str, LabelledRecord, dict[str, NDArray[np.float64]]]], codes: tuple[str, ...]
) -> list[dict[str, float]]:
    """Per confidence bucket: how many of the five best sector suggestions are among the gold codes."""
    conf, hit = [], []
    for _, record, scores in scored:
        gold = set(record.codes.get("sectors", ()))
        for i in np.argsort(-scores["sectors"], kind="stable")[:5]:
            conf.append(scores["sectors"][i])
            hit.append(codes[i] in gold)
    c, h = np.array(conf), np.array(hit)
    rows = []
    for low, high in itertools.pairwise(BUCKETS):
        inside = (c >= low) & (c < high)
        if inside.any():
            rows.append(
                {
                    "low": low,
                    "high": min(high, 1.0),
                    "n": float(inside.sum()),
                    "mean_confidence": float(c[inside].mean()),
                    "precision": float(h[inside].mean()),
                }
            )
    return rows
