"""Annotated field types that validate codes against the reference lists and normalise them.

An unknown or duplicated code raises ``CodeListError`` (a ``ValueError``), which pydantic turns
into a 422 entry naming the field, the bad value and the closest known codes.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from broker import reference

CountryCode = Annotated[
    str,
    Field(
        min_length=2,
        max_length=100,
        description="ISO 3166-1 alpha-3, alpha-2 or English name; stored as alpha-3",
    ),
    AfterValidator(lambda v: reference.resolve_country(v)),
]
SectorCodes = Annotated[
    list[str],
    Field(max_length=20, description="OECD DAC CRS 5-digit purpose codes"),
    AfterValidator(lambda v: reference.validate_sectors(v)),
]
SdgCodes = Annotated[
    list[int],
    Field(max_length=17, description="Sustainable Development Goals, 1-17"),
    AfterValidator(lambda v: reference.validate_sdgs(v)),
]
LanguageCodes = Annotated[
    list[str],
    Field(max_length=30, description="ISO 639-1 language codes"),
    AfterValidator(lambda v: reference.validate_languages(v)),
]
LanguageCode = Annotated[
    str,
    Field(max_length=8, description="ISO 639-1 language code"),
    AfterValidator(lambda v: reference.validate_languages([v])[0]),
]
ModalityCodes = Annotated[
    list[str],
    Field(max_length=14, description="Exchange modalities (see /api/v1/taxonomy/modalities)"),
    AfterValidator(lambda v: reference.validate_modalities(v)),
]
OutcomeCodes = Annotated[
    list[str],
    Field(max_length=10, description="Intermediate capacity outcomes (see /api/v1/taxonomy/outcomes)"),
    AfterValidator(lambda v: reference.validate_outcomes(v)),
]
