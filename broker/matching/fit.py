"""What a score means: "strong", "possible" or "weak" fit, from the topical relevance and the score.

A pair is a *strong* fit when it is clearly on topic and practical, *possible* when it is on topic
enough for a broker to look at, and *weak* otherwise. Both the topical relevance (semantic and
sector evidence only, see ``topical_relevance``) and the full score must clear the level, so no
amount of proximity, low cost or shared language makes an off-topic offer a good match, and an
on-topic offer that is impractical (far over budget, no shared language) drops a level.

The thresholds are calibrated on the labelled dev sets (``broker eval`` prints their precision and
coverage); see the README's "Fit" section for the figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from broker.matching.arrays import FloatArray


class Fit(StrEnum):
    strong = "strong"
    possible = "possible"
    weak = "weak"


GOOD_FITS = (Fit.strong, Fit.possible)


@dataclass(frozen=True)
class FitThresholds:
    """Levels a pair must reach (relevance and score, each in [0, 1]) to be labelled.

    Raises:
        ValueError: A level is outside [0, 1], or "possible" asks more than "strong".
    """

    # `broker eval` (data/eval, e5+use): the score levels are what ``calibrate`` chose there (strong
    # precision >= 0.85, no request that nothing serves above "weak"); the relevance levels are floors
    # that the gate implies anyway, kept explicit so that a low-relevance pair can never pass.
    strong_relevance: float = 0.55
    strong_score: float = 0.63
    possible_relevance: float = 0.40
    possible_score: float = 0.57

    def __post_init__(self) -> None:
        levels = (self.strong_relevance, self.strong_score, self.possible_relevance, self.possible_score)
        if not all(0 <= v <= 1 for v in levels):
            raise ValueError("fit thresholds must lie in [0, 1]")
        if self.possible_relevance > self.strong_relevance or self.possible_score > self.strong_score:
            raise ValueError("'possible' thresholds must not exceed 'strong' ones")


def fit_labels(
    scores: FloatArray, relevance: FloatArray, thresholds: FitThresholds | None = None
) -> list[Fit]:
    """Label each pair.

    Args:
        scores: (n,) match scores in [0, 1].
        relevance: (n,) topical relevance in [0, 1].
        thresholds: The levels (default ``FitThresholds()``).

    Returns:
        n labels; non-decreasing in both the score and the relevance.
    """
    t = thresholds or FitThresholds()
    strong = (relevance >= t.strong_relevance) & (scores >= t.strong_score)
    possible = (relevance >= t.possible_relevance) & (scores >= t.possible_score)
    codes: NDArray[np.intp] = np.where(strong, 0, np.where(possible, 1, 2))
    order = (Fit.strong, Fit.possible, Fit.weak)
    return [order[c] for c in codes.tolist()]


def fit_of(score: float, relevance: float, thresholds: FitThresholds | None = None) -> Fit:
    """``fit_labels`` for one pair."""
    return fit_labels(np.array([score]), np.array([relevance]), thresholds)[0]
