"""The catalogue's change counter and its tombstones, so each worker knows what its index missed.

``broker.ranking.catalog`` advances the counter from a flush hook: no write path calls it by hand.
"""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from broker.models.base import Base


class CatalogState(Base):
    __tablename__ = "catalog_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)


class CatalogDeletion(Base):
    """An offer, request or institution deleted at ``generation``; ``row_id`` None means "several,
    ids unknown" (a bulk delete), so a worker re-reads the ids of that kind."""

    __tablename__ = "catalog_deletions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    row_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    generation: Mapped[int] = mapped_column(Integer, index=True)
