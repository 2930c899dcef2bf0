"""How well ``fit`` labels the ranked lists of the dev sets, and the search that set its thresholds.

A *sample* is one ranked item (top 10) of one evaluated request: its score, its topical relevance
and its grade (2 the right answer, 1 also sound, 0 not labelled). Requests that no offer serves
contribute their items with ``served=False``.

- *precision of strong*: the share of items labelled strong that are labelled relevant (grade >= 1);
- *coverage*: the share of right answers (grade 2) in the top 10 that are labelled strong or possible;
- *false good*: requests no offer serves whose best item is labelled strong or possible (want 0),
  counted once per condition (``unserved_requests`` counts request-condition pairs too).

``calibrate`` picks the thresholds: first the "possible" levels with the highest coverage at which
no unserved request gets a good fit (with a margin), then the "strong" levels with the most strong
labels whose precision stays at or above ``STRONG_PRECISION``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from broker.matching import GOOD_FITS, Fit, FitThresholds, fit_labels

STRONG_PRECISION = 0.85
MARGIN = 0.02  # the "possible" levels stay this far above the best unserved request
GRID = np.round(np.arange(0.20, 0.96, 0.01), 2)


@dataclass(frozen=True, slots=True)
class FitSample:
    key: str
    language: str
    condition: str
    served: bool
    rank: int
    grade: int
    score: float
    relevance: float
    components: tuple[float, ...] = ()  # the factor values, in FACTORS order


def _summary(samples: Sequence[FitSample], thresholds: FitThresholds) -> dict[str, Any]:
    if not samples:
        return {}
    labels = fit_labels(
        np.array([s.score for s in samples]), np.array([s.relevance for s in samples]), thresholds
    )
    served = [(s, f) for s, f in zip(samples, labels, strict=True) if s.served]
    strong = [s for s, f in served if f == Fit.strong]
    right = [(s, f) for s, f in served if s.grade == 2]
    best_unserved: dict[tuple[str, str], Fit] = {}  # (request, condition) -> fit of its best item
    for s, f in zip(samples, labels, strict=True):
        if not s.served and s.rank == 1:
            best_unserved[s.key, s.condition] = f
    top = [(s, f) for s, f in served if s.rank == 1]
    return {
        "strong_items": len(strong),
        "strong_precision": (sum(s.grade >= 1 for s in strong) / len(strong)) if strong else None,
        "strong_precision_right_answer": (sum(s.grade == 2 for s in strong) / len(strong))
        if strong
        else None,
        "coverage": (sum(f in GOOD_FITS for _, f in right) / len(right)) if right else None,
        "top1_good": (sum(f in GOOD_FITS for _, f in top) / len(top)) if top else None,
        "unserved_requests": len(best_unserved),
        "false_good": sum(f in GOOD_FITS for f in best_unserved.values()),
        "false_strong": sum(f == Fit.strong for f in best_unserved.values()),
    }


def fit_report(samples: Sequence[FitSample], thresholds: FitThresholds) -> dict[str, Any]:
    """The calibration of ``fit`` overall, per condition and per language, and the thresholds that
    ``calibrate`` would choose on these samples."""
    report: dict[str, Any] = {"thresholds": asdict(thresholds), "all": _summary(samples, thresholds)}
    for condition in sorted({s.condition for s in samples}):
        report[condition] = _summary([s for s in samples if s.condition == condition], thresholds)
    for language in sorted({s.language for s in samples}):
        report[f"language {language}"] = _summary([s for s in samples if s.language == language], thresholds)
    chosen = calibrate(samples)
    report["calibrated"] = asdict(chosen) if chosen else None
    return report


def calibrate(samples: Sequence[FitSample]) -> FitThresholds | None:
    """Thresholds for ``fit`` from labelled samples (see the module docstring); None if no level
    keeps every unserved request below "possible"."""
    served = [s for s in samples if s.served]
    unserved_top = [s for s in samples if not s.served and s.rank == 1]
    right = [s for s in served if s.grade == 2]
    if not right:
        return None
    r_rel, r_score = np.array([s.relevance for s in right]), np.array([s.score for s in right])
    u_rel = np.array([s.relevance for s in unserved_top]) + MARGIN
    u_score = np.array([s.score for s in unserved_top]) + MARGIN
    best: tuple[float, float, float] | None = None
    for pr in GRID:
        for ps in GRID:
            if np.any((u_rel >= pr) & (u_score >= ps)):
                continue
            coverage = float(np.mean((r_rel >= pr) & (r_score >= ps)))
            if best is None or coverage > best[0] + 1e-12:
                best = (coverage, float(pr), float(ps))
    if best is None:
        return None
    _, pr, ps = best
    s_rel = np.array([s.relevance for s in served])
    s_score = np.array([s.score for s in served])
    relevant = np.array([s.grade >= 1 for s in served])
    strong_best: tuple[int, float, float] = (0, 0.95, 0.95)
    for sr in GRID[pr <= GRID]:
        for ss in GRID[ps <= GRID]:
            picked = (s_rel >= sr) & (s_score >= ss)
            count = int(picked.sum())
            if count and relevant[picked].mean() >= STRONG_PRECISION and count > strong_best[0]:
                strong_best = (count, float(sr), float(ss))
    _, sr, ss = strong_best
    return FitThresholds(strong_relevance=sr, strong_score=ss, possible_relevance=pr, possible_score=ps)
