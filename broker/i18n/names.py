"""Names of reference codes in a locale.

Countries, M49 regions and languages are named with Babel's CLDR data in Spanish, French and
Portuguese, and with the reference lists' own names in English (so English output keeps the
names the reference data uses). Modalities and World Bank income levels are translated in the
message catalogues (``MODALITY_NAMES`` and ``INCOME_NAMES`` mark them for extraction). Sector names
stay English: the DAC lists in ``data/reference`` have no translations.
"""

from __future__ import annotations

from functools import cache

from babel import Locale

from broker.i18n.locales import DEFAULT_LOCALE, translations
from broker.reference import get_reference


def N_(message: str) -> str:
    """Mark a string for extraction into the catalogues; it is translated where it is shown."""
    return message


# The reference modality names (data/reference/modalities.json); tests check the two agree.
MODALITY_NAMES = {
    "study_tour": N_("Study tour"),
    "expert_visit": N_("Expert visit"),
    "training_course": N_("Training course"),
    "workshop": N_("Workshop"),
    "conference": N_("Conference"),
    "multi_stakeholder_dialogue": N_("Multi-stakeholder dialogue"),
    "twinning": N_("Twinning"),
    "secondment": N_("Secondment"),
    "community_of_practice": N_("Community of practice"),
    "knowledge_fair": N_("Knowledge fair"),
    "competition": N_("Competition"),
    "peer_review": N_("Peer review"),
    "video_conference": N_("Video conference"),
    "e_learning": N_("E-learning"),
}
INCOME_NAMES = {
    "low": N_("Low income"),
    "lower_middle": N_("Lower middle income"),
    "upper_middle": N_("Upper middle income"),
    "high": N_("High income"),
}


@cache
def _cldr(locale: str) -> Locale:
    return Locale.parse(locale)


def country_name(code: str, locale: str) -> str:
    """A country's name from its ISO alpha-3 code ("MOZ" -> "Mozambique", "Moçambique")."""
    found = get_reference().country(code)
    if found is None:
        return code
    if locale == DEFAULT_LOCALE:
        return found.name
    return str(_cldr(locale).territories.get(found.alpha2, found.name))


def region_name(code: str, locale: str) -> str:
    """An M49 region's name ("014" -> "Eastern Africa", "África oriental")."""
    found = get_reference().region(code)
    english = found.name if found else code
    if locale == DEFAULT_LOCALE:
        return english
    return str(_cldr(locale).territories.get(code, english))


def country_region_name(code: str, locale: str) -> str:
    """The M49 region a country (alpha-3) lies in, for the locale."""
    found = get_reference().country(code)
    if found is None:
        return translations(locale).gettext("unknown region")
    return region_name(found.region.code, locale)


def language_name(code: str, locale: str) -> str:
    """A language's name from its ISO 639-1 code ("pt" -> "Portuguese", "portugais")."""
    found = get_reference().language(code)
    english = found.name if found else code
    if locale == DEFAULT_LOCALE:
        return english
    return str(_cldr(locale).languages.get(code, english))


def sector_name(code: str, kind: str = "sector") -> str:
    """A DAC name, English in every locale (see the module docstring).

    Args:
        code: A 5-digit sector, or a 3-digit category or group code.
        kind: "sector", "category" or "group" (3-digit category and group codes can coincide).

    Returns:
        The name, or the code when the reference lists do not know it.
    """
    ref = get_reference()
    look_up = {"sector": ref.sector, "category": ref.sector_category, "group": ref.sector_group}[kind]
    found = look_up(code)
    return found.name if found else code


def modality_name(code: str, locale: str) -> str:
    """A modality's name, capitalised as in the reference list ("Study tour", "Voyage d'étude")."""
    english = MODALITY_NAMES.get(code)
    if english is None:
        found = get_reference().modality(code)
        return found.name if found else code
    return translations(locale).gettext(english)


def income_name(code: str, locale: str) -> str:
    """A World Bank income level ("lower_middle" -> "Lower middle income")."""
    english = INCOME_NAMES.get(code)
    return translations(locale).gettext(english) if english else code
