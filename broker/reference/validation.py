"""Validate lists of codes from requests and offers against the reference lists.

Each ``validate_*`` function returns the normalised codes in the order given. An unknown value
raises ``UnknownCode`` (with suggestions); a value that repeats an earlier one, even in another
spelling ("KE" after "Kenya"), raises ``DuplicateCode``: duplicates are never dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from broker.reference.data import ReferenceData, get_reference
from broker.reference.errors import DuplicateCode, UnknownCode
from broker.reference.models import INCOME_LEVELS
from broker.reference.names import normalize_code, normalize_name
from broker.reference.suggest import close_matches, suggest_sectors


def _validate(
    values: Iterable[str | int],
    *,
    field: str,
    lookup: Callable[[str], str | None],
    suggest: Callable[[str], list[str]],
    labels: Mapping[str, str],
) -> list[str]:
    codes: list[str] = []
    for value in values:
        text = str(value)
        code = lookup(text)
        if code is None:
            raise UnknownCode(field, text, suggest(text), labels=labels)
        if code in codes:
            raise DuplicateCode(field, text, code=code)
        codes.append(code)
    return codes


def validate_sectors(values: Iterable[str | int], *, ref: ReferenceData | None = None) -> list[str]:
    """Check 5-digit DAC sector codes.

    Args:
        values: Codes such as "13040" (ints accepted).
        ref: Reference data; defaults to ``get_reference()``.

    Returns:
        The codes as strings, in the given order.

    Raises:
        UnknownCode: Suggesting same-category or numerically close codes.
        DuplicateCode: If a code repeats.
    """
    data = ref or get_reference()
    return _validate(
        values,
        field="sector code",
        lookup=lambda v: s.code if (s := data.sector(v)) else None,
        suggest=lambda v: suggest_sectors(data, v),
        labels={s.code: s.name for s in data.sectors},
    )


def validate_sdgs(values: Iterable[int | str], *, ref: ReferenceData | None = None) -> list[int]:
    """Check SDG numbers (3, "3", "SDG 3") and return them as ints 1..17.

    Raises:
        UnknownCode: For anything that is not a goal.
        DuplicateCode: If a goal repeats.
    """
    data = ref or get_reference()
    codes = _validate(
        values,
        field="SDG",
        lookup=lambda v: g.code if (g := data.sdg(v)) else None,
        suggest=lambda v: [],
        labels={},
    )
    return [int(code) for code in codes]


def validate_sdg_targets(values: Iterable[str], *, ref: ReferenceData | None = None) -> list[str]:
    """Check SDG target codes ("3.3", "17.b").

    Raises:
        UnknownCode: Suggesting targets with a similar code.
        DuplicateCode: If a target repeats.
    """
    data = ref or get_reference()
    targets = {t.code: t.code for g in data.sdgs for t in g.targets}
    return _validate(
        values,
        field="SDG target",
        lookup=lambda v: t.code if (t := data.sdg_target(v)) else None,
        suggest=lambda v: close_matches(v.strip().lower(), targets),
        labels={},
    )


def resolve_country(value: str, *, ref: ReferenceData | None = None) -> str:
    """The alpha-3 code for a country given by alpha-3, alpha-2 or English name.

    Raises:
        UnknownCode: Suggesting up to three countries with close names.
    """
    return (ref or get_reference()).resolve_country(value)


def validate_countries(values: Iterable[str], *, ref: ReferenceData | None = None) -> list[str]:
    """Resolve countries to alpha-3 codes; "KE" after "Kenya" counts as a duplicate.

    Raises:
        UnknownCode: Suggesting up to three countries.
        DuplicateCode: If two values name the same country.
    """
    data = ref or get_reference()
    resolved: list[str] = []
    for value in values:
        code = data.resolve_country(value)
        if code in resolved:
            raise DuplicateCode("country", value, code=code)
        resolved.append(code)
    return resolved


def validate_languages(values: Iterable[str], *, ref: ReferenceData | None = None) -> list[str]:
    """Check languages given by ISO 639-1 code or English name; returns the codes.

    Raises:
        UnknownCode: Suggesting languages with close names or codes.
        DuplicateCode: If a language repeats.
    """
    data = ref or get_reference()
    keyed = {normalize_name(lang.name): lang.code for lang in data.languages}
    keyed |= {lang.code: lang.code for lang in data.languages}
    return _validate(
        values,
        field="language",
        lookup=lambda v: lang.code if (lang := data.language(v)) else None,
        suggest=lambda v: close_matches(normalize_name(v), keyed),
        labels={lang.code: lang.name for lang in data.languages},
    )


def validate_modalities(values: Iterable[str], *, ref: ReferenceData | None = None) -> list[str]:
    """Check modality codes (names such as "Study tour" are accepted); returns the codes.

    Raises:
        UnknownCode: Suggesting modalities with close codes.
        DuplicateCode: If a modality repeats.
    """
    data = ref or get_reference()
    keyed = {m.code: m.code for m in data.modalities}
    return _validate(
        values,
        field="modality",
        lookup=lambda v: m.code if (m := data.modality(v)) else None,
        suggest=lambda v: close_matches(normalize_code(v), keyed, cutoff=0.5),
        labels={m.code: m.name for m in data.modalities},
    )


def validate_outcomes(values: Iterable[str], *, ref: ReferenceData | None = None) -> list[str]:
    """Check intermediate capacity outcome codes; returns the codes.

    Raises:
        UnknownCode: Suggesting outcomes with close codes.
        DuplicateCode: If an outcome repeats.
    """
    data = ref or get_reference()
    keyed = {o.code: o.code for o in data.outcomes}
    return _validate(
        values,
        field="outcome",
        lookup=lambda v: o.code if (o := data.outcome(v)) else None,
        suggest=lambda v: close_matches(normalize_code(v), keyed, cutoff=0.5),
        labels={o.code: o.name for o in data.outcomes},
    )


def validate_sector_groups(values: Iterable[str], *, ref: ReferenceData | None = None) -> list[str]:
    """Check DAC sector group codes ("120" Health); a 5-digit code is taken as its group."""
    data = ref or get_reference()
    return _validate(
        values,
        field="sector group",
        lookup=lambda v: g.code if (g := data.sector_group(v)) else None,
        suggest=lambda v: close_matches(v, {g.code: g.name for g in data.sector_groups}),
        labels={g.code: g.name for g in data.sector_groups},
    )


def validate_regions(values: Iterable[str], *, ref: ReferenceData | None = None) -> list[str]:
    """Check M49 regions, sub-regions or intermediate regions by code ("002") or English name."""
    data = ref or get_reference()
    return _validate(
        values,
        field="region",
        lookup=lambda v: r.code if (r := data.region(v)) else None,
        suggest=lambda v: close_matches(v, {r.code: r.name for r in data.regions}),
        labels={r.code: r.name for r in data.regions},
    )


def validate_sectors_or_groups(values: Iterable[str], *, ref: ReferenceData | None = None) -> list[str]:
    """Check DAC codes at either level: 3-digit sector groups ("120") or 5-digit purpose codes ("12220").

    A 3-digit category ("121") is not a group: it is refused, suggesting its group.

    Raises:
        UnknownCode: Suggesting close codes of the same level.
        DuplicateCode: If a code repeats.
    """
    data = ref or get_reference()
    groups = {g.code: g.name for g in data.sector_groups}

    def lookup(value: str) -> str | None:
        text = value.strip()
        if len(text) == 3:
            return text if text in groups else None
        return s.code if (s := data.sector(text)) else None

    def suggest(value: str) -> list[str]:
        text = value.strip()
        if len(text) == 3:
            parent = data.sector_group(text)
            return [parent.code] if parent else close_matches(text, {code: code for code in groups})
        return suggest_sectors(data, text)

    return _validate(
        values,
        field="sector or sector group code",
        lookup=lookup,
        suggest=suggest,
        labels=groups | {s.code: s.name for s in data.sectors},
    )


def validate_income_levels(values: Iterable[str]) -> list[str]:
    """Check World Bank income levels ("Low", "Lower middle", "Upper middle", "High"; any case)."""
    keyed = {normalize_name(level): level for level in INCOME_LEVELS}
    return _validate(
        values,
        field="income level",
        lookup=lambda v: keyed.get(normalize_name(v)),
        suggest=lambda v: close_matches(normalize_name(v), keyed),
        labels={},
    )
