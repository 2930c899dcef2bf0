"""Embeddings shipped with the repository for the texts every deployment embeds anyway.

Every new database would otherwise embed the same ~1,200 texts (tens of seconds on one core with
the default model) before its first suggestion or demo ranking:
the code lists' reference texts, the demo corpus (the suggester's labelled pool) and the dev sets.
``data/embeddings/`` holds their vectors for the default model, keyed like the embedding table (the
hash of the model id and the text), so a lookup finds them exactly as it would find stored rows.
``scripts/build_embedding_seed.py`` rebuilds the file; a test fails when a text changed without it.
A seed never stands in for another model: its file is named by, and records, the model id.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from broker.config import REPO_ROOT
from broker.ranking.embedding.text import embedding_text

SEED_DIR = REPO_ROOT / "data" / "embeddings"
Vector = NDArray[np.float32]


def seed_path(model_id: str, directory: Path = SEED_DIR) -> Path:
    return directory / f"seed-{hashlib.sha256(model_id.encode()).hexdigest()[:16]}.npz"


@cache
def seed_vectors(model_id: str) -> dict[str, Vector]:
    """The shipped vectors of ``model_id`` by text hash (empty when none are shipped)."""
    path = seed_path(model_id)
    if not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as data:
        if str(data["model_id"]) != model_id:
            return {}
        vectors = np.asarray(data["vectors"], dtype=np.float32)
        return dict(zip(data["hashes"].tolist(), vectors, strict=True))


def seed_texts() -> list[str]:
    """Every text the seed should hold: suggestion references, the demo corpus, the dev sets."""
    from broker.services.suggestion_texts import BACKGROUND, reference_texts

    texts: list[str] = []
    for _, names, described in reference_texts().values():
        texts += [*described, *names]
    texts += BACKGROUND
    demo = REPO_ROOT / "data" / "demo"
    for kind in ("offers", "requests"):
        for row in json.loads((demo / f"{kind}.json").read_text(encoding="utf-8")):
            texts.append(embedding_text(row["title"], row["description"]))
    multilingual = REPO_ROOT / "data" / "eval" / "multilingual.json"
    for row in json.loads(multilingual.read_text(encoding="utf-8"))["requests"]:
        texts.append(embedding_text(row["title"], row["description"]))
    return list(dict.fromkeys(texts))
