"""Stored embeddings: computed once per (text, model), found again by hashing the current text."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from broker.models import Embedding, FundingWindow, KnowledgeRequest, Offer
from broker.ranking.embedding.encoder import Encoder
from broker.ranking.embedding.seed import seed_vectors
from broker.ranking.embedding.text import embedding_text, text_hash

Vector = NDArray[np.float32]
LOOKUP_CHUNK = 500


def item_text(item: Offer | KnowledgeRequest) -> str:
    """What is embedded for an offer or a request: its title, then its description."""
    return embedding_text(item.title, item.description)


def item_hash(item: Offer | KnowledgeRequest, model_id: str) -> str:
    return text_hash(item_text(item), model_id)


def window_text(window: FundingWindow) -> str:
    """What is embedded for a funding window: its title, then its mandate (so mandate fit compares
    it with a request's embedding under the same model)."""
    return embedding_text(window.title, window.mandate)


def stored_vectors(session: Session, *, model_id: str, hashes: Sequence[str]) -> dict[str, Vector]:
    """The embeddings already stored for these text hashes under ``model_id``."""
    found: dict[str, Vector] = {}
    unique = list(dict.fromkeys(hashes))
    for start in range(0, len(unique), LOOKUP_CHUNK):
        chunk = unique[start : start + LOOKUP_CHUNK]
        rows = session.execute(
            select(Embedding.text_hash, Embedding.vector).where(
                Embedding.model_id == model_id, Embedding.text_hash.in_(chunk)
            )
        )
        for digest, blob in rows:
            found[digest] = np.frombuffer(blob, dtype=np.float32)
    return found


def missing_texts(session: Session, *, model_id: str, texts: Sequence[str]) -> list[tuple[str, str]]:
    """The (hash, text) pairs of ``texts`` with no stored embedding under ``model_id``, each once,
    longest first (texts of similar length batch with little padding)."""
    hashes = [text_hash(text, model_id) for text in texts]
    stored = stored_vectors(session, model_id=model_id, hashes=hashes)
    missing = [(h, t) for h, t in dict(zip(hashes, texts, strict=True)).items() if h not in stored]
    return sorted(missing, key=lambda pair: -len(pair[1]))


def store_vectors(
    session: Session, *, model_id: str, hashes: Sequence[str], vectors: Sequence[Vector]
) -> None:
    """Store embeddings under their text hashes, leaving any already stored alone."""
    _insert_ignoring_duplicates(session, [_row(model_id, h, v) for h, v in zip(hashes, vectors, strict=True)])


def ensure_vectors(
    session: Session,
    *,
    encoder: Encoder,
    texts: Sequence[str],
    batch_size: int = 64,
    progress: Callable[[int, int], None] | None = None,
    store: bool = True,
) -> list[Vector]:
    """Embeddings for ``texts``, computing (and storing) only those not stored yet.

    Args:
        session: Database session (its transaction receives the new rows).
        encoder: The encoder; its ``model_id`` is part of the key.
        texts: Texts to embed.
        batch_size: How many texts the encoder gets at once (texts of similar length together).
        progress: Called with (texts embedded so far, texts to embed) after each batch.
        store: Insert the vectors it computes (False: a read that must not write).

    Returns:
        One float32 vector of shape (dim,) per text, in order.
    """
    hashes = [text_hash(text, encoder.model_id) for text in texts]
    vectors = stored_vectors(session, model_id=encoder.model_id, hashes=hashes)
    missing = sorted(
        ((h, t) for h, t in dict(zip(hashes, texts, strict=True)).items() if h not in vectors),
        key=lambda pair: -len(pair[1]),
    )
    seeded = seed_vectors(encoder.model_id)
    shipped = {h: seeded[h] for h, _ in missing if h in seeded}
    if shipped:  # shipped with the repository for this model: store them, embed nothing
        if store:
            _insert_ignoring_duplicates(session, [_row(encoder.model_id, h, v) for h, v in shipped.items()])
        vectors.update(shipped)
        missing = [(h, t) for h, t in missing if h not in shipped]
    for start in range(0, len(missing), batch_size):
        batch = missing[start : start + batch_size]
        encoded = encoder.encode([text for _, text in batch])
        rows = [
            _row(encoder.model_id, digest, vector) for (digest, _), vector in zip(batch, encoded, strict=True)
        ]
        if store:
            _insert_ignoring_duplicates(session, rows)
        for (digest, _), vector in zip(batch, encoded, strict=True):
            vectors[digest] = np.asarray(vector, dtype=np.float32)
        if progress:
            progress(start + len(batch), len(missing))
    return [vectors[h] for h in hashes]


def embed_items(
    session: Session,
    *,
    encoder: Encoder,
    items: Sequence[Offer | KnowledgeRequest],
    progress: Callable[[int, int], None] | None = None,
) -> list[Vector]:
    texts = [item_text(item) for item in items]
    return ensure_vectors(session, encoder=encoder, texts=texts, progress=progress)


def embed_windows(
    session: Session, *, encoder: Encoder, windows: Sequence[FundingWindow], store: bool = True
) -> list[Vector]:
    """The mandates' embeddings through the same cache as offers and requests (``store=False``: a read)."""
    return ensure_vectors(session, encoder=encoder, texts=[window_text(w) for w in windows], store=store)


def _row(model_id: str, digest: str, vector: Vector) -> dict[str, object]:
    return {
        "model_id": model_id,
        "text_hash": digest,
        "dim": int(vector.shape[0]),
        "vector": np.asarray(vector, dtype=np.float32).tobytes(),
    }


def _insert_ignoring_duplicates(session: Session, rows: list[dict[str, object]]) -> None:
    """Insert, skipping rows another writer stored meanwhile (same text, same model, same vector)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(postgresql.insert(Embedding).on_conflict_do_nothing(), rows)
    elif dialect == "sqlite":
        session.execute(sqlite.insert(Embedding).on_conflict_do_nothing(), rows)
    else:
        session.execute(insert(Embedding), rows)
