"""A compact first pass for large catalogues: which offers can still reach the top of the exact ranking.

Scoring every offer exactly reads its full float32 embedding (896 x 4 bytes at the default encoder),
which at a million offers is 3.6 GB per request. The first pass instead reads a small code per offer:
the offer's embedding minus the catalogue mean, projected on the top ``dims`` principal directions
(fitted on a sample) and quantised to int8 with one scale per row, scanned with SimSIMD's int8 dot
product. Only a pool of the offers with the highest approximate cosine is then scored exactly
(``score_pairs`` and ``rank``), so the final list is the exact ranking of that pool.

Every approximate cosine comes with a rigorous error bound (the projection residual by
Cauchy-Schwarz, the two int8 roundings by their half-steps), and the exact score has an upper bound
in terms of the cosine alone (``score_upper_bound``: the sector factor at most 1, the contextual
factors, and the track record's gain over neutral, at most their weight times the gate the best
sector would give). When the bound of the
best offer left out of the pool is below the k-th exact score, the pool's list is provably the exact
list (``certified``); otherwise the pool grows, and the caller chooses between an exact fallback and
the pool's list (whose agreement with the exact ranking is measured in ``benchmarks/ranking.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import simsimd
from numpy.typing import NDArray

from broker.matching.arrays import FloatArray
from broker.matching.factors import FactorParams, relevance_gate, semantic_fit
from broker.matching.results import CONTEXTUAL, SECTOR, SEMANTIC, TRACK_RECORD
from broker.matching.track_record import NEUTRAL

# float32 rounding of an exact 896-term dot product of unit vectors stays far below this.
ROUNDING_SLACK = 1e-4


@dataclass(frozen=True)
class PrefilterParams:
    """When and how the compressed first pass is used.

    Attributes:
        threshold: Catalogue size (live rows) from which ``OfferIndex.search`` uses the first pass;
            below it every offer's cosine and score ceiling are computed and the offers whose
            ceiling reaches the list are scored exactly (the exact list). 50,000 lies between 10k,
            where the exact scan of 896-d float32 embeddings is as fast as a bare semantic top-k,
            and 100k, where it is 7-10x slower than the first pass (benchmarks/README.md); the
            crossover was not measured finer.
        dims: Principal directions kept in the int8 code (bytes per offer).
        pool: Initial pool size; at least ``16 * limit`` rows are taken whatever this says. On the
            benchmark corpora at a million offers, 8192 gave recall@10 0.944 on unfiltered requests
            and 16384 0.99 or more (at 100k, 2048 gave 0.975 and 8192 0.996). The pool costs
            little beyond the scan: its rows are bounded from int8 codes, and only those that can
            reach the list are read in float32.
        max_pool: The pool grows 4x while the bound does not hold, up to this many rows (the
            default does not grow: on embeddings that cluster as the default encoder's do, the
            bound rarely holds without a restrictive filter, see benchmarks/README.md).
        exact_when_unproven: When the bound still fails at ``max_pool``, score every eligible offer
            exactly (always the exact list, slow) instead of returning the pool's list.
        sample: Rows sampled to fit the principal directions.
        pool_at: The number of scanned rows at which ``pool`` and ``max_pool`` apply; a smaller
            scan halves them per tenfold fewer rows (``pool_sizes``): recall@10 was 0.99 or more
            with 16,384 of a million rows and 0.996 with 8,192 of 100,000 (benchmarks/README.md).
            0 keeps them whatever the size.
        ceiling_pool: Below the threshold, the rows with the highest score ceilings scored exactly
            first (at least ``16 * limit``); 4x more while their list is not proven. On 10k
            synthetic offers 40-150 rows were needed (benchmarks/README.md).
    """

    threshold: int = 50_000
    dims: int = 64
    pool: int = 16384
    max_pool: int = 16384
    exact_when_unproven: bool = False
    sample: int = 8192
    pool_at: int = 1_000_000
    ceiling_pool: int = 256

    def __post_init__(self) -> None:
        if self.threshold < 1 or self.dims < 1 or not 1 <= self.pool <= self.max_pool or self.sample < 2:
            raise ValueError("need threshold >= 1, dims >= 1, 1 <= pool <= max_pool and sample >= 2")
        if self.ceiling_pool < 1 or self.pool_at < 0:
            raise ValueError("need ceiling_pool >= 1 and pool_at >= 0")

    def pool_sizes(self, scanned: int, limit: int) -> tuple[int, int]:
        """The initial and the largest pool for a scan of ``scanned`` rows (at least ``16 * limit``)."""
        factor = 1.0
        if 0 < scanned < self.pool_at:
            factor = (scanned / self.pool_at) ** math.log10(2)
        floor = 16 * limit
        return max(round(self.pool * factor), floor), max(round(self.max_pool * factor), floor)


@dataclass(frozen=True, slots=True, eq=False)
class SemanticSketch:
    """The fitted projection: ``x ~ mean + components.T @ z`` for an offer embedding x.

    Attributes:
        mean: (dim,) float64 mean of the sampled embeddings.
        components: (dims, dim) float64 orthonormal principal directions, strongest first.
    """

    mean: NDArray[np.float64]
    components: NDArray[np.float64]

    @classmethod
    def fit(cls, embeddings: NDArray[np.floating], dims: int) -> SemanticSketch:
        """Fit the principal directions on a sample of embeddings.

        Args:
            embeddings: (m, dim) sample of offer embeddings, m >= 1.
            dims: Directions to keep (capped at dim).

        Returns:
            The sketch.
        """
        sample = np.asarray(embeddings, dtype=np.float64)
        mean = sample.mean(axis=0)
        centred = sample - mean
        vectors = np.linalg.eigh(centred.T @ centred)[1]  # ascending eigenvalues
        keep = min(dims, sample.shape[1])
        components = np.ascontiguousarray(vectors[:, ::-1][:, :keep].T)
        return cls(mean=mean, components=components)

    @property
    def dims(self) -> int:
        """Number of code dimensions."""
        return int(self.components.shape[0])

    def encode(self, embeddings: NDArray[np.floating]) -> tuple[NDArray[np.int8], NDArray[np.float32]]:
        """Codes and per-row error terms of offer embeddings.

        Args:
            embeddings: (n, dim) offer embeddings.

        Returns:
            (n, dims) int8 codes, and (n, 3) float32 terms per row: the code scale s (z ~ s * code),
            s times the L1 norm of the code, and the norm of the projection residual; each rounded up.
        """
        # float32 products (a million rows in seconds). Their rounding (typically ~1e-6 per cosine)
        # is left to ROUNDING_SLACK, checked by the property tests rather than proved for the worst
        # case; the residual gets 1e-5 of margin on its square.
        x = np.asarray(embeddings, dtype=np.float32)
        z = (x @ self.components.T.astype(np.float32)).astype(np.float64) - self.mean @ self.components.T
        centred = np.einsum("ij,ij->i", x, x, dtype=np.float64) - 2 * (x @ self.mean.astype(np.float32))
        centred += self.mean @ self.mean  # |x - mean|^2
        codes, scale = _int8_rows(z)
        residual = np.sqrt(np.maximum(centred - np.einsum("ij,ij->i", z, z), 0.0) + 1e-5)
        terms = np.empty((len(x), 3), dtype=np.float64)
        terms[:, 0] = scale
        terms[:, 1] = scale * np.abs(codes).astype(np.int32).sum(axis=1)
        terms[:, 2] = residual
        return codes, np.nextafter(terms.astype(np.float32), np.float32(np.inf))


def approximate_cosines(
    sketch: SemanticSketch,
    codes: NDArray[np.int8],
    scales: NDArray[np.float32],
    query: NDArray[np.floating],
) -> tuple[NDArray[np.float32], float, float, float]:
    """Approximate cosine of the query with every coded offer, and the coefficients of its error bound.

    Args:
        sketch: The fitted projection.
        codes: (n, dims) int8 codes of the offers.
        scales: (n,) float32 code scales s of the offers.
        query: (dim,) unit-norm request embedding.

    Returns:
        (n,) float32 approximate cosines c, and (a, b, r): for every offer i,
        ``|cosine_i - c_i| <= a * s_i + b * s_i * L1_i + r * residual_i + ROUNDING_SLACK``.
    """
    q = np.asarray(query, dtype=np.float64)
    p = sketch.components @ q
    residual = float(np.sqrt(max(float(q @ q) - float(p @ p), 0.0)))
    query_code, step = _int8_vector(p)
    dots = np.asarray(simsimd.cdist(query_code[None, :], codes, metric="dot", out_dtype="float32"))[0]
    cosines = dots * scales
    cosines *= np.float32(step)
    cosines += np.float32(q @ sketch.mean)
    # Errors: the offer code's rounding (|p| . s/2), the query code's rounding (s * |code| . step/2),
    # the residual outside the projection (Cauchy-Schwarz), plus float32 rounding of the sums.
    a = float(np.abs(p).sum()) / 2 + 1e-5
    b = step / 2 + 1e-7
    return cosines, a, b, residual + 1e-6


def score_upper_bound(
    cosine: FloatArray, weights: FloatArray, params: FactorParams, track_neutral: float = NEUTRAL
) -> FloatArray:
    """Largest exact score an offer can have given an upper bound on its cosine.

    The sector factor is taken as 1, every contextual factor and the track record as 1, with the gate
    that these would earn; ``score_pairs`` is non-decreasing in each, so no offer scores above this.

    Args:
        cosine: (m,) upper bounds of cosines.
        weights: (7,) normalised weights (``Weights.normalised``).
        params: The factor levels used for exact scoring.
        track_neutral: The track record's neutral value (it adds at most ``w * (1 - neutral)``).

    Returns:
        (m,) float64 upper bounds of the score in [0, 1], non-decreasing in the cosine.
    """
    semantic = semantic_fit(np.asarray(cosine, dtype=np.float64) + params.cross_lingual_offset, params)
    w_sem, w_sec = float(weights[SEMANTIC]), float(weights[SECTOR])
    topical = w_sem * semantic + w_sec
    relevance = topical / (w_sem + w_sec) if w_sem + w_sec > 0 else np.ones_like(semantic)
    contextual = weights[CONTEXTUAL].sum()
    if len(weights) > TRACK_RECORD:
        contextual += weights[TRACK_RECORD] * (1.0 - track_neutral)
    bound: FloatArray = np.clip(topical + relevance_gate(relevance, params) * contextual, 0, 1)
    return bound


def quantise_rows(embeddings: NDArray[np.floating]) -> tuple[NDArray[np.int8], NDArray[np.float32]]:
    """Full-dimension int8 codes of offer embeddings, for the second pass over the pool.

    Unlike the first pass's codes there is no projection, hence no residual: each coordinate is
    rounded to a step of ``s = max|x_j| / 127``, so the cosine read from the code is within about
    1e-3 of the exact one, with a rigorous bound (``refined_cosines``).

    Args:
        embeddings: (n, dim) offer embeddings.

    Returns:
        (n, dim) int8 codes (x ~ s * code), and (n, 2) float32 terms per row: s and s times the L1
        norm of the code, each rounded up.
    """
    x = np.asarray(embeddings, dtype=np.float32)
    codes, scale = _int8_rows(x)
    terms = np.empty((len(x), 2), dtype=np.float64)
    terms[:, 0] = scale
    terms[:, 1] = scale * np.abs(codes).astype(np.int32).sum(axis=1)
    return codes, np.nextafter(terms.astype(np.float32), np.float32(np.inf))


def refined_cosines(
    codes: NDArray[np.int8], terms: NDArray[np.float32], query: NDArray[np.floating], *, sigmas: float = 8.0
) -> tuple[FloatArray, FloatArray]:
    """Cosines of the query with full-dimension int8 codes, and a margin of each one's error.

    The worst-case bound (every coordinate's rounding error aligned with the other vector) is about
    0.02 for 896-d unit vectors, fifteen times the largest error seen on a million pairs, and would
    keep a thousand rows of a pool for exact scoring. The margin is instead ``sigmas`` standard
    deviations of the rounding noise: each coordinate's rounding error is uniform on half a step,
    so the error of the dot product has standard deviation ``sqrt(s^2 |q|^2 + step^2 |x|^2 / 12)``;
    at 8 the chance that one pair's error exceeds it is below 1e-14 for noise of that shape (errors
    measured on the benchmark corpora stay below 4.5 standard deviations). Capped by the
    worst-case bound, which it never exceeds.

    Args:
        codes: (m, dim) int8 codes from ``quantise_rows``.
        terms: (m, 2) their terms.
        query: (dim,) unit-norm request embedding.
        sigmas: Standard deviations of rounding noise in the margin.

    Returns:
        (m,) float64 approximate cosines c and (m,) float64 margins e: ``|cosine - c| <= e`` but
        with a chance below 1e-14 per pair at the default ``sigmas``.
    """
    q = np.asarray(query, dtype=np.float64)
    query_code, step = _int8_vector(q)
    if len(codes) == 0:
        return np.zeros(0), np.zeros(0)
    dots = np.asarray(simsimd.cdist(query_code[None, :], codes, metric="dot", out_dtype="float32"))[0]
    scale = terms[:, 0].astype(np.float64)
    cosines = dots.astype(np.float64) * scale * step
    # Worst case: the offer code's rounding (|q|_1 * s/2) and the query code's (s * |code|_1 * step/2).
    worst = scale * (float(np.abs(q).sum()) / 2 + 1e-5) + terms[:, 1] * (step / 2 + 1e-7)
    noise = np.sqrt((scale**2 * float(q @ q) + step**2) / 12.0)  # |x| = 1 for an offer embedding
    return cosines, np.minimum(worst, sigmas * noise) + ROUNDING_SLACK


def _int8_rows(values: NDArray[np.floating]) -> tuple[NDArray[np.int8], NDArray[np.float64]]:
    """Each row in int8 with its own step ``s = max|row| / 127`` (1 for a zero row): row ~ s * code."""
    scale = np.abs(values).max(axis=1).astype(np.float64) / 127.0
    scale[scale == 0] = 1.0
    return np.clip(np.rint(values / scale[:, None]), -127, 127).astype(np.int8), scale


def _int8_vector(vector: NDArray[np.float64]) -> tuple[NDArray[np.int8], float]:
    """A request's vector in int8 and its step (as ``_int8_rows`` for one row)."""
    step = float(np.abs(vector).max()) / 127.0 or 1.0
    return np.clip(np.rint(vector / step), -127, 127).astype(np.int8), step
