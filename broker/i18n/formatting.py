"""Money, numbers and dates for a locale (Babel's CLDR formats)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal

from broker.i18n.locales import translations


def planning_usd(amount: float) -> int:
    """Round an estimate to what a planner would quote: to 100 USD from 1,000 USD, else to 10 USD.

    Args:
        amount: USD, >= 0.

    Returns:
        The rounded amount (17,885 -> 17,900; 745 -> 740, half to even).
    """
    return int(round(amount, -2 if amount >= 1_000 else -1))


@cache
def _whole_currency_pattern(locale: str) -> str:
    """The locale's currency pattern with the ISO code ("USD", never "$", which is ambiguous across
    the Americas), no cents and a non-breaking space between code and digits."""
    pattern = str(Locale.parse(locale).currency_formats["standard"].pattern).split(";")[0]
    pattern = pattern.replace(".00", "").replace("¤", "¤¤")
    return pattern.replace("¤¤#", "¤¤\xa0#").replace("0¤¤", "0\xa0¤¤")


def format_money(amount: float | None, locale: str, *, estimate: bool = False) -> str:
    """An amount of US dollars for ``locale``: "USD 25,000" in English, "25 000 USD" in French.

    Args:
        amount: USD, or None (shown as a dash).
        locale: A supported locale.
        estimate: A planning estimate: rounded with ``planning_usd`` and introduced as "about".

    Returns:
        The formatted amount.
    """
    if amount is None:
        return "—"
    value = planning_usd(amount) if estimate else round(amount)
    text = format_currency(
        value, "USD", format=_whole_currency_pattern(locale), locale=locale, currency_digits=False
    )
    return translations(locale).gettext("about %(amount)s") % {"amount": text} if estimate else text


def format_number(value: float, locale: str, pattern: str = "0.00") -> str:
    """A decimal number with the locale's separators ("0.82" in English, "0,82" in French)."""
    return format_decimal(value, pattern, locale=locale)


def format_day(day: date | None, locale: str) -> str:
    """A date in the locale's medium format ("Dec 2, 2026", "2 déc. 2026"), a dash for None."""
    return "—" if day is None else format_date(day, "medium", locale=locale)


def format_moment(moment: datetime | None, locale: str) -> str:
    """A moment in UTC, medium date and short time for the locale, with "UTC" appended."""
    if moment is None:
        return "—"
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    joined = str(Locale.parse(locale).datetime_formats["medium"])
    day = format_date(aware.astimezone(UTC).date(), "medium", locale=locale)
    return f"{joined.format(format_time(aware, 'short', tzinfo=UTC, locale=locale), day)} UTC"
