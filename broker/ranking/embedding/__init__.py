"""Texts to vectors: the encoders, the text that gets embedded, and the stored-embedding cache."""

from broker.ranking.embedding.encoder import (
    DEFAULT_MODEL_ID,
    Encoder,
    HashingEncoder,
    SentenceTransformerEncoder,
    default_model_path,
)
from broker.ranking.embedding.text import embedding_text, text_hash

__all__ = [
    "DEFAULT_MODEL_ID",
    "Encoder",
    "HashingEncoder",
    "SentenceTransformerEncoder",
    "default_model_path",
    "embedding_text",
    "text_hash",
]
