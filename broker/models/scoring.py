"""Scoring profiles (named factor weights) and stored text embeddings."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from broker.models.base import Base, Tracked


class ScoringProfile(Tracked, Base):
    __tablename__ = "scoring_profiles"

    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    weights: Mapped[dict[str, float]] = mapped_column()
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class Embedding(Tracked, Base):
    """A text's embedding under one model, addressed by the hash of (text, model).

    Offers and requests find theirs by hashing their current text, so an embedding is computed
    once per distinct text and model and never again while both are unchanged.
    """

    __tablename__ = "embeddings"
    __table_args__ = (UniqueConstraint("model_id", "text_hash", name="uq_embeddings_model_text"),)

    model_id: Mapped[str] = mapped_column(String(200))
    text_hash: Mapped[str] = mapped_column(String(64))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)
