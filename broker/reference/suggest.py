"""Suggestions for mistyped codes: close codes and close names, at most three."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from broker.reference.names import normalize_name

if TYPE_CHECKING:
    from broker.reference.data import ReferenceData

MAX_SUGGESTIONS = 3


def close_matches(value: str, keyed: Mapping[str, str], *, cutoff: float = 0.6) -> list[str]:
    """Codes whose keys are textually close to ``value``.

    Args:
        value: The unknown value, already normalised the same way as the keys.
        keyed: Comparison key (a code or a normalised name) -> code it stands for.
        cutoff: Minimum difflib similarity ratio in [0, 1].

    Returns:
        Up to three distinct codes, closest first.
    """
    matches = difflib.get_close_matches(value, list(keyed), n=MAX_SUGGESTIONS * 4, cutoff=cutoff)
    return _unique(keyed[key] for key in matches)


def suggest_sectors(ref: ReferenceData, value: str) -> list[str]:
    """Sector codes near ``value``: numerically nearest in the same category, else by name.

    Args:
        ref: The reference data.
        value: An unknown sector code or a sector name.

    Returns:
        Up to three 5-digit codes.
    """
    text = value.strip()
    if text.isdigit():
        number = int(text)
        pool = [s.code for s in ref.sectors if s.code.startswith(text[:3])] or [s.code for s in ref.sectors]
        return sorted(pool, key=lambda code: (abs(int(code) - number), code))[:MAX_SUGGESTIONS]
    return close_matches(normalize_name(text), {normalize_name(s.name): s.code for s in ref.sectors})


def suggest_countries(ref: ReferenceData, value: str) -> list[str]:
    """Alpha-3 codes whose names (or codes) are close to ``value``.

    Args:
        ref: The reference data.
        value: An unknown country code or name.

    Returns:
        Up to three alpha-3 codes.
    """
    text = value.strip()
    keyed: dict[str, str] = {}
    for country in ref.countries:
        for name in (country.name, country.formal_name or "", *country.aliases):
            keyed.setdefault(normalize_name(name), country.alpha3)
    by_name = close_matches(normalize_name(text), keyed, cutoff=0.7)
    if len(text) in (2, 3) and text.isalpha():
        codes = {c.alpha3: c.alpha3 for c in ref.countries} | {c.alpha2: c.alpha3 for c in ref.countries}
        return _unique([*close_matches(text.upper(), codes, cutoff=0.5), *by_name])
    return by_name


def _unique(codes: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for code in codes:
        if code not in seen:
            seen.append(code)
    return seen[:MAX_SUGGESTIONS]
