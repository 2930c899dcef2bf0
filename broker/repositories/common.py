"""Query building blocks shared by the repositories: lookups, pages, JSON-list filters, text search."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, select, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from broker.errors import NotFound
from broker.models.search import fold

T = TypeVar("T")


def get_or_404(session: Session, model: type[T], item_id: int, *, what: str) -> T:
    item = session.get(model, item_id)
    if item is None:
        raise NotFound(f"{what} {item_id} not found")
    return item


def fetch_page(session: Session, stmt: Select[T], *, limit: int, offset: int) -> tuple[list[T], int]:
    """Run ``stmt`` for one page and count all rows it matches."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.limit(limit).offset(offset)))
    return items, total


def json_list_contains(session: Session, column: Any, value: str | int) -> ColumnElement[bool]:
    """True where the JSON array ``column`` holds ``value`` (JSONB @> on PostgreSQL, json_each on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return type_coerce(column, JSONB).contains([value])
    each = func.json_each(column).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value == value))


def text_search(q: str, search_text: Any) -> ColumnElement[bool]:
    """Every word of ``q`` (up to ten) in a ``Searchable.search_text`` column, ignoring case and accents."""
    clauses = []
    for word in fold(q).split()[:10]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(search_text.like(f"%{escaped}%", escape="\\"))
    return and_(*clauses) if clauses else and_(True)
