"""Ranked lists of the API in the caller's language."""

from __future__ import annotations

from broker.i18n.locales import DEFAULT_LOCALE, translations
from broker.i18n.names import N_
from broker.i18n.reasons import render_reason
from broker.matching import Reason
from broker.schemas.ranking import RankedItem, RankedList, ReasonDetail
from broker.schemas.triangle import TriangleList

# The fixed summaries of a list without a good match (``broker.ranking.service.ranked_list``;
# tests/i18n/test_ranked.py checks they are still the ones it writes). Summaries with counts
# ("3 good matches (1 strong)") stay English.
SUMMARIES = (
    N_("No good match: the closest offers are on other topics or impractical (all weak fits)"),
    N_("No good match: no candidate passed the filters"),
)


def localize_summary(summary: str, locale: str) -> str:
    """A list's summary in ``locale`` when it is one of ``SUMMARIES``, else unchanged."""
    return translations(locale).gettext(summary) if summary in SUMMARIES else summary


def localize_item(item: RankedItem, locale: str) -> RankedItem:
    """The item with its reasons rendered in ``locale`` from their codes (items are built in English)."""
    if locale == DEFAULT_LOCALE or not item.reasons_detail:
        return item
    detail = localize_reasons(item.reasons_detail, locale)
    update: dict[str, object] = {"reasons": [d.text for d in detail], "reasons_detail": detail}
    if item.cost_breakdown is not None:
        why = item.cost_breakdown.why
        text = render_reason(Reason(why.code, dict(why.params)), locale)
        update["cost_breakdown"] = item.cost_breakdown.model_copy(
            update={"why": why.model_copy(update={"text": text})}
        )
    return item.model_copy(update=update)


def localize_ranked(ranked: RankedList, locale: str) -> RankedList:
    """The list with every item's reasons in ``locale`` (see ``localize_item``).

    Args:
        ranked: A ranked list as the matching service returns it (English).
        locale: One of ``SUPPORTED_LOCALES``.

    Returns:
        A copy with translated reasons (and summary, see ``SUMMARIES``); codes, parameters and
        everything else unchanged.
    """
    if locale == DEFAULT_LOCALE:
        return ranked
    items = [localize_item(i, locale) for i in ranked.items]
    return ranked.model_copy(update={"items": items, "summary": localize_summary(ranked.summary, locale)})


def localize_reasons(detail: list[ReasonDetail], locale: str) -> list[ReasonDetail]:
    """Reasons rendered in ``locale`` from their codes and parameters."""
    return [
        ReasonDetail(code=d.code, params=d.params, text=render_reason(Reason(d.code, dict(d.params)), locale))
        for d in detail
    ]


def localize_triangles(found: TriangleList, locale: str) -> TriangleList:
    """The triples with their windows' reasons in ``locale`` (they are built in English)."""
    if locale == DEFAULT_LOCALE:
        return found
    items = []
    for item in found.items:
        detail = localize_reasons(item.reasons_detail, locale)
        items.append(item.model_copy(update={"reasons": [d.text for d in detail], "reasons_detail": detail}))
    return found.model_copy(update={"items": items})
