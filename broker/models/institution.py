"""Institutions: ministries, agencies, knowledge hubs, NGOs, universities that share or seek knowledge."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from broker.models.base import Base, Tracked
from broker.models.search import Searchable


class InstitutionKind(StrEnum):
    government = "government"
    knowledge_hub = "knowledge_hub"
    ngo = "ngo"
    academia = "academia"
    private = "private"
    multilateral = "multilateral"
    other = "other"


def enum_check(column: str, enum: type[StrEnum]) -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=f"{column}_valid")


class Institution(Searchable, Tracked, Base):
    __searchable__ = ("name", "description")
    __tablename__ = "institutions"
    __table_args__ = (enum_check("kind", InstitutionKind),)

    external_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    country: Mapped[str] = mapped_column(String(3), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    languages: Mapped[list[str]] = mapped_column(default=list)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    website: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    # The catalog generation of this row's last write (its country and languages feed the indexes).
    change_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0", index=True)
