"""Choosing and loading the text encoder named by the settings (once per process)."""

from __future__ import annotations

import os
from functools import cache

from broker.matching import Encoder, HashingEncoder, SentenceTransformerEncoder, default_model_path


@cache
def load_encoder(kind: str, model_path: str | None = None) -> Encoder:
    """The encoder for ``kind`` ("sentence-transformers" or the test-only "hashing").

    The real model is read from ``model_path`` (a local directory) or the bundled all-MiniLM-L6-v2;
    the hub is switched off so nothing is ever downloaded.
    """
    if kind == "hashing":
        return HashingEncoder()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    return SentenceTransformerEncoder(model_path or default_model_path())
