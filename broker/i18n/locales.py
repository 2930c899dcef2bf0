"""Which locale a caller gets, and the message catalogue of each locale."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.core import negotiate_locale as babel_negotiate
from babel.support import NullTranslations, Translations

SUPPORTED_LOCALES = ("en", "es", "fr", "pt")
DEFAULT_LOCALE = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "messages"
_MAX_HEADER = 1000  # longer Accept-Language headers are cut: no real browser sends one


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags of an ``Accept-Language`` header, most preferred first.

    Args:
        header: The header value, e.g. "fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5", or None.

    Returns:
        Tags with q > 0 ordered by q (ties keep header order); "*" and malformed entries dropped.
    """
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "")[:_MAX_HEADER].split(",")):
        tag, _, rest = part.strip().partition(";")
        tag = tag.strip()
        q = 1.0
        if rest.strip().startswith("q="):
            try:
                q = float(rest.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and 0 < q <= 1:
            weighted.append((-q, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate_locale(accept_language: str | None, chosen: str | None = None) -> str:
    """The locale to answer in: an explicit choice (the ``lang`` cookie), else the best match of
    ``Accept-Language`` (Babel's negotiation: "pt-BR" gets "pt"), else English.

    Args:
        accept_language: The request's ``Accept-Language`` header, or None.
        chosen: A locale the user picked, or None; ignored unless supported.

    Returns:
        One of ``SUPPORTED_LOCALES``.
    """
    if chosen in SUPPORTED_LOCALES:
        return chosen
    found = babel_negotiate(parse_accept_language(accept_language), SUPPORTED_LOCALES, sep="-")
    return found if found in SUPPORTED_LOCALES else DEFAULT_LOCALE


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalogue of ``locale`` (English, the source language, translates to itself).

    Args:
        locale: One of ``SUPPORTED_LOCALES``.

    Returns:
        Translations with ``gettext`` and ``ngettext``.
    """
    if locale == DEFAULT_LOCALE:
        return NullTranslations()
    if locale not in SUPPORTED_LOCALES:
        raise ValueError(f"unsupported locale {locale!r}")
    found = Translations.load(str(LOCALE_DIR), [locale], DOMAIN)
    if not isinstance(found, Translations):  # a missing .mo would silently show English
        raise FileNotFoundError(f"no compiled catalogue for {locale!r} under {LOCALE_DIR}")
    return found
