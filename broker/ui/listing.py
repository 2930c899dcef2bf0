"""Links of a filtered, sorted, paged list: each keeps the other query parameters as they are."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from broker.reference import get_reference
from broker.repositories.workspace import Sort
from broker.services import ui_workspace

# Columns a first click sorts highest (or latest) first; the others go A to Z.
DESCENDING_FIRST = frozenset({"updated", "created", "cost", "matches", "best", "budget"})


@dataclass(frozen=True, slots=True)
class ListQuery:
    path: str
    params: dict[str, str]  # the filters in force, empty values left out
    sort: Sort
    offset: int = 0

    def url(self, *, sort: str | None = None, offset: int = 0) -> str:
        current = "-" + self.sort.key if self.sort.descending else self.sort.key
        values = self.params | {"sort": sort or current} | ({"offset": str(offset)} if offset else {})
        return f"{self.path}?{urlencode(values)}"

    def sort_url(self, key: str) -> str:
        """The same list sorted by ``key``; the sorted column's link reverses its order."""
        descending = not self.sort.descending if key == self.sort.key else key in DESCENDING_FIRST
        return self.url(sort=("-" if descending else "") + key)

    def aria_sort(self, key: str) -> str:
        if key != self.sort.key:
            return "none"
        return "descending" if self.sort.descending else "ascending"

    def page_url(self, offset: int) -> str:
        return self.url(offset=offset)


def pager(query: ListQuery, *, total: int) -> dict[str, str | None]:
    """The previous and next page links of ``query`` (None at either end)."""
    size = ui_workspace.PAGE_SIZE
    offset = query.offset
    return {
        "previous": query.page_url(max(0, offset - size)) if offset > 0 else None,
        "next": query.page_url(offset + size) if offset + size < total else None,
    }


def region_and_sector_choices() -> dict[str, Any]:
    """The options of the region and sector-group filters."""
    ref = get_reference()
    return {
        "regions": [r for r in ref.regions if r.level == "region"],
        "sub_regions": sorted((r for r in ref.regions if r.level == "sub_region"), key=lambda r: r.name),
        "groups": ref.sector_groups,
    }
