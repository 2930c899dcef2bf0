"""The ensemble runs its parts side by side; the result must be exactly the sequential blend."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from broker.ranking.embedding import HashingEncoder
from broker.ranking.embedding.bundled import EnsembleEncoder
from broker.ranking.embedding.encoder import EmbeddingMatrix


class Meeting(HashingEncoder):
    """A part that waits until every part is encoding at once (so it fails if parts run in turn)."""

    def __init__(self, dim: int, barrier: threading.Barrier) -> None:
        super().__init__(dim)
        self.barrier = barrier

    def encode(self, texts: Sequence[str]) -> EmbeddingMatrix:
        self.barrier.wait(timeout=5)
        return super().encode(texts)


def test_parts_run_concurrently_and_blend_as_weighted_concatenation() -> None:
    barrier = threading.Barrier(2)
    first, second = Meeting(64, barrier), Meeting(32, barrier)
    ensemble = EnsembleEncoder([(first, 3.0), (second, 1.0)], cosine_range=(0.0, 1.0))
    texts = ["school feeding from family farms", "alimentação escolar", ""]
    got = ensemble.encode(texts)
    a, b = HashingEncoder(64).encode(texts), HashingEncoder(32).encode(texts)
    expected = np.hstack([np.sqrt(0.75) * a, np.sqrt(0.25) * b])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert got.shape == (3, 96) and got.dtype == np.float32
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert ensemble.encode([]).shape == (0, 96)
