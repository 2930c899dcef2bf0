"""Ranked lists of the API in the caller's language."""

from __future__ import annotations

from broker.i18n.locales import DEFAULT_LOCALE
from broker.i18n.reasons import render_reason
from broker.matching import Reason
from broker.schemas.ranking import RankedItem, RankedList, ReasonDetail


def localize_item(item: RankedItem, locale: str) -> RankedItem:
    """The item with its reasons rendered in ``locale`` from their codes (items are built in English)."""
    if locale == DEFAULT_LOCALE or not item.reasons_detail:
        return item
    detail = [
        ReasonDetail(code=d.code, params=d.params, text=render_reason(Reason(d.code, dict(d.params)), locale))
        for d in item.reasons_detail
    ]
    return item.model_copy(update={"reasons": [d.text for d in detail], "reasons_detail": detail})


def localize_ranked(ranked: RankedList, locale: str) -> RankedList:
    """The list with every item's reasons in ``locale`` (see ``localize_item``).

    Args:
        ranked: A ranked list as the matching service returns it (English).
        locale: One of ``SUPPORTED_LOCALES``.

    Returns:
        A copy with translated reasons; codes, parameters and everything else unchanged.
    """
    if locale == DEFAULT_LOCALE:
        return ranked
    return ranked.model_copy(update={"items": [localize_item(i, locale) for i in ranked.items]})
