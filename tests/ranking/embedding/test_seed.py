"""The embeddings shipped in data/embeddings/ cover what a new database needs, and are the model's own."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy.orm import Session

from broker.ranking.embedding import HashingEncoder
from broker.ranking.embedding import store as embeddings
from broker.ranking.embedding.models import ensemble_model_id, load_encoder
from broker.ranking.embedding.seed import seed_path, seed_texts, seed_vectors
from broker.ranking.embedding.text import text_hash


def test_the_seed_holds_every_text_a_new_database_needs_for_the_default_model() -> None:
    model_id = ensemble_model_id()
    assert seed_path(model_id).exists(), "run scripts/build_embedding_seed.py"
    seeded = seed_vectors(model_id)
    missing = [t for t in seed_texts() if text_hash(t, model_id) not in seeded]
    assert not missing, f"{len(missing)} texts changed since the seed was built, e.g. {missing[0][:80]!r}"
    assert all(v.shape == (896,) and abs(float(np.linalg.norm(v)) - 1) < 1e-5 for v in seeded.values())


def test_no_seed_is_used_for_another_model(session: Session) -> None:
    encoder = HashingEncoder()
    assert seed_vectors(encoder.model_id) == {}
    text = seed_texts()[0]
    (vector,) = embeddings.ensure_vectors(session, encoder=encoder, texts=[text])
    assert np.allclose(vector, encoder.encode([text])[0])


@pytest.mark.model
def test_the_shipped_vectors_are_what_the_default_model_computes() -> None:
    encoder = load_encoder("model", "e5+use")
    assert encoder.model_id == ensemble_model_id()
    seeded = seed_vectors(encoder.model_id)
    texts = seed_texts()
    sample = [texts[0], texts[len(texts) // 2], texts[-1]]
    for text, computed in zip(sample, encoder.encode(sample), strict=True):
        assert float(computed @ seeded[text_hash(text, encoder.model_id)]) > 0.9999
