"""Searchable views of the reference lists for the taxonomy endpoints."""

from __future__ import annotations

import unicodedata

from broker.reference import Country, Language, Region, Sector, get_reference


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).casefold()
    return "".join(ch for ch in plain if not unicodedata.combining(ch))


def sectors(q: str | None, *, limit: int) -> list[Sector]:
    ref = get_reference()
    return ref.search_sectors(q, limit=limit) if q else list(ref.sectors)[:limit]


def countries(q: str | None, *, region: str | None) -> list[Country]:
    ref = get_reference()
    found = list(ref.countries)
    if region:
        wanted = _fold(region)
        found = [
            c
            for c in found
            if any(
                r is not None and wanted in (_fold(r.code), _fold(r.name))
                for r in (c.region, c.sub_region, c.intermediate_region)
            )
        ]
    if q:
        exact = ref.country(q)
        needle = _fold(q)
        found = [c for c in found if c is exact or needle in _fold(c.name)]
    return found


def regions(level: str | None) -> list[Region]:
    return [r for r in get_reference().regions if level is None or r.level == level]


def languages(q: str | None) -> list[Language]:
    found = list(get_reference().languages)
    if q:
        needle = _fold(q)
        found = [lang for lang in found if needle == lang.code or needle in _fold(lang.name)]
    return found
