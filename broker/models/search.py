"""A search column per searchable table: its text fields casefolded and stripped of accents.

SQLite's LIKE folds case for ASCII only ("são" did not find "SÃO") while PostgreSQL's ILIKE folds
all of Unicode; comparing folded text with folded words gives both databases the same answer.
"""

from __future__ import annotations

import unicodedata
from typing import Any, ClassVar

from sqlalchemy import Text, event
from sqlalchemy.orm import Mapped, mapped_column


def fold(text: str) -> str:
    """Casefold and drop combining marks: "SÃO Tomé", "são tome" and "Sao Tome" all become "sao tome"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class Searchable:
    """Keeps ``search_text`` in step with the fields named in ``__searchable__`` on every save."""

    __searchable__: ClassVar[tuple[str, ...]]

    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    def refresh_search_text(self) -> None:
        parts = (getattr(self, name) for name in self.__searchable__)
        self.search_text = fold("\n".join(part for part in parts if part))


@event.listens_for(Searchable, "before_insert", propagate=True)
@event.listens_for(Searchable, "before_update", propagate=True)
def _refresh(_mapper: Any, _connection: Any, target: Searchable) -> None:
    target.refresh_search_text()
