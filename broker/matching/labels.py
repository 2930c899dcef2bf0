"""Code suggestion scores: labelled neighbours blended with reference descriptions, then calibrated.

Numpy in, numpy out. For one kind of code (sectors, SDGs, modalities, outcomes) a query embedding
gets, for every code c,

    raw(c) = ALPHA * knn(c) + (1 - ALPHA) * proto(c)

- ``knn(c)``: the similarity-weighted share of the ``K`` nearest labelled records that carry c, with
  weights ``exp((s_i - s_1) / knn_tau)``. A fixed set of off-topic *background* texts (cooking,
  sport, films...) sits among the neighbours with no codes, so a text nearer to them than to any
  development record gives its votes to nobody.
- ``proto(c)``: a softmax over the cosines to each code's reference text (name and description) at
  temperature ``proto_tau``, with the background texts as extra "no code" entries in the
  denominator. It covers codes that no labelled record carries yet.

Each ``raw`` value lies in [0, 1]. A ``Calibrator`` (logistic regression on
``logit(raw)``, fitted on leave-one-out scores of the labelled pool) turns it into the probability
that the code is among the author's codes.

Models spread cosines very differently (multilingual-e5 squeezes most pairs into 0.75-0.95, USE
and MiniLM use most of [0, 1]), so both temperatures are multiples of the standard deviation of
the cosines between the sector reference texts (``Temperatures.for_std``: 0.024 for e5, 0.036 for
the e5+USE ensemble, 0.115 for USE). The multiples and ``ALPHA`` were chosen with
``broker eval-suggest`` on multilingual-e5-small and hold for the e5+USE ensemble.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression

Matrix = NDArray[np.float32]
ALPHA = 0.3
K = 10
KNN_TAU_PER_STD = 0.83
PROTO_TAU_PER_STD = 0.42
E5_STD = 0.024  # multilingual-e5-small's standard deviation of reference-text cosines
_EPS = 1e-4


@dataclass(frozen=True)
class Temperatures:
    """Softmax temperatures of the neighbour weights and of the prototype shares."""

    knn: float = KNN_TAU_PER_STD * E5_STD
    proto: float = PROTO_TAU_PER_STD * E5_STD

    @classmethod
    def for_std(cls, std: float) -> Temperatures:
        """Temperatures for an encoder whose reference-text cosines have this standard deviation (> 0)."""
        return cls(knn=KNN_TAU_PER_STD * std, proto=PROTO_TAU_PER_STD * std)


def cosine_std(vectors: Matrix) -> float:
    """Standard deviation of the cosines between distinct rows of ``vectors`` (n, d), n >= 2."""
    cosines = vectors.astype(np.float64) @ vectors.T.astype(np.float64)
    return float(cosines[np.triu_indices(len(vectors), 1)].std())


def _softmax(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return np.asarray(shifted / shifted.sum(axis=1, keepdims=True))


def knn_votes(
    queries: Matrix,
    pool: Matrix,
    labels: NDArray[np.bool_],
    *,
    k: int = K,
    tau: float = Temperatures.knn,
    exclude_self: bool = False,
) -> NDArray[np.float64]:
    """Similarity-weighted share of the k nearest pool rows that carry each code.

    Args:
        queries: (m, d) unit rows.
        pool: (n, d) unit rows: the labelled records, then any unlabelled background rows.
        labels: (n, c) booleans, all False on background rows.
        k: Neighbours per query, >= 1.
        tau: Weight temperature, > 0.
        exclude_self: Queries are the pool itself (leave-one-out): row i never votes for query i.

    Returns:
        (m, c) floats in [0, 1] (all 0 when the pool is empty); a row sums to at most the largest
        number of codes one record carries.
    """
    m, c = queries.shape[0], labels.shape[1]
    if pool.shape[0] == 0 or m == 0:
        return np.zeros((m, c))
    sims = queries.astype(np.float64) @ pool.T.astype(np.float64)
    if exclude_self:
        np.fill_diagonal(sims, -np.inf)
    k = min(k, pool.shape[0] - (1 if exclude_self else 0))
    if k < 1:
        return np.zeros((m, c))
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    near = np.take_along_axis(sims, top, axis=1)
    weights = np.exp((near - near.max(axis=1, keepdims=True)) / tau)
    weights /= weights.sum(axis=1, keepdims=True)
    return np.asarray(np.einsum("mk,mkc->mc", weights, labels[top].astype(np.float64)))


def prototype_shares(
    queries: Matrix, refs: Matrix, background: Matrix, *, tau: float = Temperatures.proto
) -> NDArray[np.float64]:
    """Softmax of the cosines to each code's reference text, background texts in the denominator.

    Args:
        queries: (m, d) unit rows.
        refs: (c, d) unit rows, one per code.
        background: (b, d) unit rows of off-topic texts (b may be 0).
        tau: Softmax temperature, > 0.

    Returns:
        (m, c) floats in [0, 1]; rows sum to at most 1.
    """
    if refs.shape[0] == 0:
        return np.zeros((queries.shape[0], 0))
    both = np.vstack([refs, background]).astype(np.float64)
    return _softmax(queries.astype(np.float64) @ both.T / tau)[:, : refs.shape[0]]


def raw_scores(
    queries: Matrix,
    *,
    pool: Matrix,
    labels: NDArray[np.bool_],
    refs: Matrix,
    background: Matrix,
    alpha: float = ALPHA,
    temperatures: Temperatures = Temperatures(),
    exclude_self: bool = False,
) -> NDArray[np.float64]:
    """``alpha * knn + (1 - alpha) * proto`` (see the module docstring); only proto if the pool is empty.

    Args:
        queries: (m, d) unit rows.
        pool: (n, d) labelled records.
        labels: (n, c) booleans.
        refs: (c, d) reference texts of the codes.
        background: (b, d) off-topic texts.
        alpha: Weight of the neighbours in [0, 1]; 0 is prototypes only, 1 neighbours only.
        temperatures: Of the neighbour weights and the prototype softmax.
        exclude_self: Leave-one-out scoring of the pool itself (``queries is pool``).

    Returns:
        (m, c) floats in [0, 1].
    """
    proto = prototype_shares(queries, refs, background, tau=temperatures.proto)
    if pool.shape[0] == 0:
        return proto
    neighbours = np.vstack([pool, background]) if background.shape[0] else pool
    votes = np.vstack([labels, np.zeros((background.shape[0], labels.shape[1]), dtype=bool)])
    knn = knn_votes(queries, neighbours, votes, tau=temperatures.knn, exclude_self=exclude_self)
    return alpha * knn + (1 - alpha) * proto


@dataclass(frozen=True)
class Calibrator:
    """``confidence = sigmoid(slope * logit(raw) + intercept)``; the identity-like default if unfitted."""

    slope: float = 1.0
    intercept: float = 0.0

    def __call__(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        """Calibrated confidences, same shape as ``raw``, in (0, 1)."""
        z = self.slope * _logit(raw) + self.intercept
        return np.asarray(1.0 / (1.0 + np.exp(-z)))


def _logit(p: NDArray[np.float64]) -> NDArray[np.float64]:
    q = np.clip(p, _EPS, 1 - _EPS)
    return np.asarray(np.log(q / (1 - q)))


def fit_calibrator(raw: NDArray[np.float64], gold: NDArray[np.bool_], *, top: int = 10) -> Calibrator:
    """Platt scaling on the ``top`` best-scored codes of every row (the ones a caller would see).

    Args:
        raw: (n, c) leave-one-out raw scores of the labelled pool.
        gold: (n, c) the pool's own codes.
        top: Candidates per row used for fitting.

    Returns:
        The fitted calibrator; the default one when there are too few candidates or one class only.
    """
    if raw.size == 0:
        return Calibrator()
    order = np.argsort(-raw, axis=1)[:, : min(top, raw.shape[1])]
    x = np.take_along_axis(raw, order, axis=1).ravel()
    y = np.take_along_axis(gold, order, axis=1).ravel()
    if len(y) < 20 or y.all() or not y.any():
        return Calibrator()
    model = LogisticRegression(C=10.0).fit(_logit(x)[:, None], y)
    return Calibrator(slope=float(model.coef_[0, 0]), intercept=float(model.intercept_[0]))
