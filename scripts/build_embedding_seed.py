"""Rebuild data/embeddings/: the default model's vectors for the texts every database embeds anyway.

    BROKER_DATABASE_URL=sqlite:////tmp/seed.db .venv/bin/python scripts/build_embedding_seed.py

Vectors already stored in that database (under the same model) are reused, the rest are embedded
and stored there too, so a second run takes seconds. Deterministic for a given model and texts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from broker.cli.common import configured_encoder, session_scope
from broker.migrate import upgrade
from broker.ranking.embedding.seed import SEED_DIR, seed_path, seed_texts
from broker.ranking.embedding.store import ensure_vectors
from broker.ranking.embedding.text import text_hash


def main() -> None:
    from broker.config import get_settings

    upgrade(get_settings().database_url)
    encoder = configured_encoder()
    texts = seed_texts()
    with session_scope() as session:
        vectors = ensure_vectors(session, encoder=encoder, texts=texts)
    SEED_DIR.mkdir(parents=True, exist_ok=True)
    path = seed_path(encoder.model_id)
    order = sorted(range(len(texts)), key=lambda i: text_hash(texts[i], encoder.model_id))
    np.savez(
        path,
        model_id=np.array(encoder.model_id),
        hashes=np.array([text_hash(texts[i], encoder.model_id) for i in order]),
        vectors=np.stack([vectors[i] for i in order]).astype(np.float32),
    )
    print(f"{len(texts)} vectors of {encoder.model_id} in {path}")


if __name__ == "__main__":
    main()
