"""Money, numbers, dates and locale negotiation."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker.i18n import format_day, format_moment, format_money, negotiate_locale, planning_usd
from broker.i18n.locales import parse_accept_language

NBSP, NNBSP = "\xa0", "\u202f"


@pytest.mark.parametrize(
    ("locale", "estimate", "exact"),
    [
        ("en", f"about USD{NBSP}17,900", f"USD{NBSP}25,000"),
        ("es", f"unos 17.900{NBSP}USD", f"25.000{NBSP}USD"),
        ("fr", f"environ 17{NNBSP}900{NBSP}USD", f"25{NNBSP}000{NBSP}USD"),
        ("pt", f"cerca de USD{NBSP}17.900", f"USD{NBSP}25.000"),
    ],
)
def test_money_in_each_locale(locale: str, estimate: str, exact: str) -> None:
    assert format_money(17_885, locale, estimate=True) == estimate
    assert format_money(25_000, locale) == exact
    assert format_money(None, locale) == "—"


def test_estimates_round_to_a_planning_figure() -> None:
    assert [planning_usd(x) for x in (17_885, 17_849.9, 999, 745.2, 0)] == [17_900, 17_800, 1_000, 750, 0]


@given(st.floats(0, 10_000_000))
def test_planning_rounding_is_close_and_monotone(amount: float) -> None:
    rounded = planning_usd(amount)
    assert abs(rounded - amount) <= (50 if amount >= 1_000 else 5) + 1e-6
    assert planning_usd(amount + 100) >= rounded


@pytest.mark.parametrize(
    ("locale", "day", "moment"),
    [
        ("en", "Dec 2, 2026", f"Dec 2, 2026, 5:03{NNBSP}PM UTC"),
        ("es", "2 dic 2026", "2 dic 2026, 17:03 UTC"),
        ("fr", "2 déc. 2026", "2 déc. 2026, 17:03 UTC"),
        ("pt", "2 de dez. de 2026", "2 de dez. de 2026 17:03 UTC"),
    ],
)
def test_dates_in_each_locale(locale: str, day: str, moment: str) -> None:
    assert format_day(date(2026, 12, 2), locale) == day
    assert format_moment(datetime(2026, 12, 2, 17, 3, tzinfo=UTC), locale) == moment
    assert format_moment(datetime(2026, 12, 2, 17, 3), locale) == moment  # naive values are UTC


@pytest.mark.parametrize(
    ("header", "cookie", "expected"),
    [
        (None, None, "en"),
        ("fr-CH, fr;q=0.9, en;q=0.8, *;q=0.5", None, "fr"),
        ("pt-BR,pt;q=0.9", None, "pt"),
        ("de-DE, es;q=0.5, en;q=0.4", None, "es"),
        ("en;q=0.2, es;q=0.9", None, "es"),
        ("de, ja", None, "en"),
        ("es;q=0, fr", None, "fr"),
        ("fr", "pt", "pt"),
        ("fr", "xx", "fr"),
        ("garbage;;q=abc, ,", None, "en"),
    ],
)
def test_locale_negotiation(header: str | None, cookie: str | None, expected: str) -> None:
    assert negotiate_locale(header, cookie) == expected


def test_accept_language_is_ordered_by_quality_then_position() -> None:
    assert parse_accept_language("a;q=0.5, b, c;q=0.9, d") == ["b", "d", "c", "a"]


@given(st.text(max_size=300), st.one_of(st.none(), st.text(max_size=10)))
def test_negotiation_never_fails_and_always_answers_a_supported_locale(
    header: str, cookie: str | None
) -> None:
    assert negotiate_locale(header, cookie) in ("en", "es", "fr", "pt")
