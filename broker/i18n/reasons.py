"""Sentences for match reasons, rendered per locale from their codes and parameters.

``REASON_MESSAGES`` maps each stable reason code to its English sentence (the catalogue msgid);
``render_reason`` translates it and fills in the parameters: reference codes become names in the
locale (``broker.i18n.names``), amounts become money (``format_money``), scores and shares numbers
and percentages with the locale's separators. Stored matches keep the structured form, so an old
list renders in any locale; rows stored before reasons had codes only have their English text,
which ``stored_reasons`` passes through unchanged under the code ``text``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from gettext import NullTranslations

from babel.lists import format_list
from babel.numbers import format_decimal, format_percent

from broker.i18n.formatting import format_money, format_number
from broker.i18n.locales import translations
from broker.i18n.names import (
    N_,
    country_name,
    income_name,
    language_name,
    modality_name,
    region_name,
    sector_name,
)
from broker.matching import Reason

EXACT_AMOUNTS = frozenset({"budget_usd", "max_usd"})
LEGACY_CODE = "text"  # a reason stored as a plain English sentence, before reasons had codes

REASON_MESSAGES: dict[str, str] = {
    "semantic.close": N_("Close semantic fit (%(score)s)"),
    "semantic.partial": N_("Partial semantic fit (%(score)s)"),
    "semantic.weak": N_("Weak semantic fit (%(score)s)"),
    "sector.inferred_request": N_("Sector inferred from the request's description: %(sectors)s"),
    "sector.inferred_offer": N_("Sector inferred from the offer's description: %(sectors)s"),
    "sector.same_code": N_("Same sector: %(sector)s"),
    "sector.same_category": N_("Same sector category: %(category)s"),
    "sector.same_group": N_("Same sector group: %(group)s"),
    "sector.different": N_("Different sector: %(sector)s"),
    "region.same_country": N_("Same country: %(country)s (domestic scale-up)"),
    "region.same_subregion": N_("Same sub-region: %(region)s"),
    "region.same_region": N_("Same region: %(region)s"),
    "region.different": N_("Different regions: %(supply_country)s and %(demand_country)s"),
    "income.same": N_("Peers at the same income level (%(income)s)"),
    "income.neighbouring": N_("Peers at a neighbouring income level"),
    "modality.proposed": N_("Proposed modality: %(modality)s"),
    "modality.preferred": N_("Offers your preferred modality: %(modality)s"),
    "modality.outside": N_("Modality outside your preferences: %(modality)s"),
    "modality.related": N_("Related modality: %(modality)s for the requested %(requested)s"),
    "modality.substituted": N_(
        "%(modality)s instead of the requested %(requested)s: related and %(saving_usd)s cheaper"
    ),
    "modality.substituted_unrelated": N_(
        "%(modality)s instead of the requested %(requested)s: %(saving_usd)s cheaper"
    ),
    "language.none": N_("No shared working language: interpretation needed"),
    "cost.estimate": N_("Estimated cost %(cost_usd)s"),
    "cost.within_budget": N_("Estimated cost %(cost_usd)s, within the budget of %(budget_usd)s"),
    "cost.over_budget": N_("Estimated cost %(cost_usd)s, over the budget of %(budget_usd)s"),
    "track_record.none": N_("No completed exchanges yet (neutral)"),
    "window.covers_country": N_("Window covers %(country)s"),
    "window.covers_region": N_("Window covers %(region)s"),
    "window.covers_any": N_("Window open to receiving countries anywhere"),
    "window.pays": N_("Pays up to %(max_usd)s per exchange; %(needed_usd)s needed after co-financing"),
    "window.cofinancing": N_("Co-financing %(share)s"),
    "window.sector": N_("Window funds %(sector)s"),
    "window.sector_group": N_("Window funds the sector group %(group)s"),
    "window.sector_other": N_("Window funds other sectors than the pair's"),
    "window.mandate": N_("Mandate fit %(score)s"),
    "relevance.weak": N_(
        "Weak topical relevance (%(relevance)s): region, modality, language and cost count for "
        "%(share)s of their weight"
    ),
}
# "language.shared" and the track-record counts have plural forms: see ``_plural``.
PLURAL_CODES = frozenset(
    {
        "language.shared",
        "track_record.topic",
        "track_record.topic_unrated",
        "track_record.elsewhere",
        "track_record.elsewhere_unrated",
    }
)
REASON_CODES = frozenset(REASON_MESSAGES) | PLURAL_CODES


@dataclass(frozen=True)
class RenderedReason:
    """A reason with its sentence in one locale."""

    code: str
    params: dict[str, object]
    text: str


def _names(param: object, name: Callable[[str], str], locale: str) -> str:
    codes = [str(c) for c in param] if isinstance(param, list) else [str(param)]
    return format_list([name(c) for c in codes], locale=locale)


def _value(key: str, param: object, locale: str) -> str:
    """One parameter as text in ``locale``, by what its key names."""
    if key.endswith("_usd"):  # amounts someone set are exact; the rest are planning estimates
        return format_money(float(str(param)), locale, estimate=key not in EXACT_AMOUNTS)
    if key in ("score", "relevance"):
        return format_number(float(str(param)), locale)
    if key == "rating":  # one decimal, as receivers read a mark out of 5
        return format_decimal(float(str(param)), format="0.0", locale=locale)
    if key == "share":
        return format_percent(float(str(param)), locale=locale)
    lookups: dict[str, Callable[[str], str]] = {
        "sector": lambda c: sector_name(c),
        "sectors": lambda c: sector_name(c),
        "category": lambda c: sector_name(c, "category"),
        "group": lambda c: sector_name(c, "group"),
        "country": lambda c: country_name(c, locale),
        "supply_country": lambda c: country_name(c, locale),
        "demand_country": lambda c: country_name(c, locale),
        "region": lambda c: region_name(c, locale),
        "income": lambda c: income_name(c, locale),
        "languages": lambda c: language_name(c, locale),
    }
    if key in ("modality", "requested"):
        return _names(param, lambda c: modality_name(c, locale).lower(), locale)
    if key in lookups:
        return _names(param, lookups[key], locale)
    return str(param)


def render_reason(reason: Reason, locale: str) -> str:
    """The sentence of one reason in ``locale`` (memoised: a ranked list repeats the same sentences,
    and Babel's formatting is the costliest part of answering one).

    Args:
        reason: A reason from the matching core (or read back from a stored match).
        locale: One of ``SUPPORTED_LOCALES``.

    Returns:
        The sentence, starting with a capital letter; an unknown code renders as the code itself.
    """
    key = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in reason.params.items())
    try:
        return _render_cached(reason.code, key, locale)
    except TypeError:  # an unhashable parameter (never from the core): render it directly
        return _render(reason, locale)


@lru_cache(maxsize=65_536)
def _render_cached(code: str, params: tuple[tuple[str, object], ...], locale: str) -> str:
    values = {k: list(v) if isinstance(v, tuple) else v for k, v in params}
    return _render(Reason(code, values), locale)  # type: ignore[arg-type]


def _render(reason: Reason, locale: str) -> str:
    catalogue = translations(locale)
    if reason.code == LEGACY_CODE:
        return str(reason.params.get("text", ""))
    if reason.code in PLURAL_CODES:
        message = _plural(catalogue, reason)
    elif reason.code in REASON_MESSAGES:
        message = catalogue.gettext(REASON_MESSAGES[reason.code])
    else:
        return reason.code
    text = message % {key: _value(key, value, locale) for key, value in reason.params.items()}
    return text[:1].upper() + text[1:]


def _plural(catalogue: NullTranslations, reason: Reason) -> str:
    n = reason.params.get("count", 1)
    count = int(n) if isinstance(n, int | float) else 1
    if reason.code == "language.shared":
        count = len(reason.params.get("languages") or [])  # type: ignore[arg-type]
        return catalogue.ngettext(
            "Shared working language: %(languages)s", "Shared working languages: %(languages)s", max(count, 1)
        )
    if reason.code == "track_record.topic":
        return catalogue.ngettext(
            "%(count)s completed exchange on this topic, rated %(rating)s/5 by receivers",
            "%(count)s completed exchanges on this topic, rated %(rating)s/5 by receivers",
            count,
        )
    if reason.code == "track_record.topic_unrated":
        return catalogue.ngettext(
            "%(count)s completed exchange on this topic, not yet rated by receivers",
            "%(count)s completed exchanges on this topic, not yet rated by receivers",
            count,
        )
    if reason.code == "track_record.elsewhere":
        return catalogue.ngettext(
            "%(count)s completed exchange on another topic, rated %(rating)s/5 by receivers",
            "%(count)s completed exchanges on other topics, rated %(rating)s/5 by receivers",
            count,
        )
    return catalogue.ngettext(
        "%(count)s completed exchange on another topic, not yet rated by receivers",
        "%(count)s completed exchanges on other topics, not yet rated by receivers",
        count,
    )


def render_reasons(reasons: Sequence[Reason], locale: str) -> list[RenderedReason]:
    """Reasons of a fresh ranking with their sentences in ``locale``."""
    return [RenderedReason(r.code, dict(r.params), render_reason(r, locale)) for r in reasons]


def reason_from_json(value: object) -> Reason:
    """A reason as stored (``Reason.as_json``), or a plain sentence stored before reasons had codes."""
    if isinstance(value, Mapping) and isinstance(value.get("code"), str):
        params = value.get("params")
        return Reason(str(value["code"]), dict(params) if isinstance(params, Mapping) else {})
    return Reason(LEGACY_CODE, {"text": str(value)})


def stored_reasons(
    detail: Sequence[object] | None, texts: Sequence[str], locale: str
) -> list[RenderedReason]:
    """A stored match's reasons in ``locale``: from their structured form when the row has one,
    else the English sentences the row was stored with.

    Args:
        detail: The stored structured reasons (``Match.reasons_detail``), or None for an old row.
        texts: The stored English sentences (``Match.reasons``).
        locale: One of ``SUPPORTED_LOCALES``.

    Returns:
        The reasons with their sentences.
    """
    reasons = [reason_from_json(v) for v in (texts if detail is None else detail)]
    return render_reasons(reasons, locale)
