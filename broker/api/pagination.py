"""Pages of a list: the items plus ``links`` to the next and previous pages, built from the request URL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from fastapi import Request

from broker.api.deps import Paging
from broker.schemas.common import Page, PageLinks

T = TypeVar("T")


def page_links(request: Request, *, limit: int, offset: int, total: int) -> PageLinks:
    """Absolute URLs of the neighbouring pages, with every other query parameter (filters) kept.

    Args:
        request: The list request; its URL (and filters) are reused.
        limit: Page size of this page.
        offset: Rows skipped before this page.
        total: Rows matching the filters in all.

    Returns:
        ``next`` when rows remain after this page, ``prev`` when this page does not start at 0.
    """
    url = request.url
    next_url = (
        str(url.include_query_params(limit=limit, offset=offset + limit)) if offset + limit < total else None
    )
    prev_url = (
        str(url.include_query_params(limit=limit, offset=max(0, min(offset, total) - limit)))
        if offset > 0
        else None
    )
    return PageLinks(next=next_url, prev=prev_url)


def page_of(request: Request, paging: Paging, *, items: Sequence[T], total: int) -> Page[T]:
    """The response body of a list endpoint."""
    return Page(
        items=list(items),
        total=total,
        limit=paging.limit,
        offset=paging.offset,
        links=page_links(request, limit=paging.limit, offset=paging.offset, total=total),
    )
