"""Languages of the workspace and of match reasons: locale negotiation, message catalogues, formats.

The supported locales are English (the source language), Spanish, French and Portuguese. Sentences
come from the gettext catalogues in ``broker/locale`` (see README, "Translations"); countries, regions
and languages are named with Babel's CLDR data; sector names stay English (the DAC lists in
``data/reference`` are English only); modality and income-level names are in the catalogues.
"""

from broker.i18n.formatting import format_day, format_moment, format_money, format_number, planning_usd
from broker.i18n.locales import DEFAULT_LOCALE, SUPPORTED_LOCALES, negotiate_locale, translations
from broker.i18n.reasons import REASON_CODES, RenderedReason, render_reason, render_reasons, stored_reasons

__all__ = [
    "DEFAULT_LOCALE",
    "REASON_CODES",
    "SUPPORTED_LOCALES",
    "RenderedReason",
    "format_day",
    "format_moment",
    "format_money",
    "format_number",
    "negotiate_locale",
    "planning_usd",
    "render_reason",
    "render_reasons",
    "stored_reasons",
    "translations",
]
