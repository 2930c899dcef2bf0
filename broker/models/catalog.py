"""A counter bumped by every write to offers or requests, so each worker knows when its index is stale."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from broker.models.base import Base


class CatalogState(Base):
    __tablename__ = "catalog_state"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)
