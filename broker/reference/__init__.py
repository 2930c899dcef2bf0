"""Standard code lists (DAC sectors, SDGs, countries, M49 regions, languages, modalities, outcomes).

Loaded once from data/reference and reached through ``get_reference()``; pure Python + numpy.

    >>> from broker.reference import get_reference, validate_sectors
    >>> get_reference().country("Kenya").intermediate_region.name
    'Eastern Africa'
    >>> validate_sectors(["13040"])
    ['13040']
"""

from broker.reference.data import ReferenceData, get_reference, load_reference
from broker.reference.errors import CodeListError, DuplicateCode, UnknownCode
from broker.reference.models import (
    INCOME_LEVELS,
    Country,
    Language,
    Modality,
    ModalityCost,
    Outcome,
    Region,
    SdgGoal,
    SdgTarget,
    Sector,
    SectorCategory,
    SectorGroup,
)
from broker.reference.tables import ReferenceTables
from broker.reference.validation import (
    resolve_country,
    validate_countries,
    validate_income_levels,
    validate_languages,
    validate_modalities,
    validate_outcomes,
    validate_regions,
    validate_sdg_targets,
    validate_sdgs,
    validate_sector_groups,
    validate_sectors,
    validate_sectors_or_groups,
)


def get_tables() -> ReferenceTables:
    """The numpy tables of the shared reference data (built once, then cached)."""
    return get_reference().tables


def stats() -> dict[str, int]:
    """Number of entries per reference list, for ``broker taxonomy stats``."""
    return get_reference().stats()


__all__ = [
    "INCOME_LEVELS",
    "CodeListError",
    "Country",
    "DuplicateCode",
    "Language",
    "Modality",
    "ModalityCost",
    "Outcome",
    "ReferenceData",
    "ReferenceTables",
    "Region",
    "SdgGoal",
    "SdgTarget",
    "Sector",
    "SectorCategory",
    "SectorGroup",
    "UnknownCode",
    "get_reference",
    "get_tables",
    "load_reference",
    "resolve_country",
    "stats",
    "validate_countries",
    "validate_income_levels",
    "validate_languages",
    "validate_modalities",
    "validate_outcomes",
    "validate_regions",
    "validate_sdg_targets",
    "validate_sdgs",
    "validate_sector_groups",
    "validate_sectors",
    "validate_sectors_or_groups",
]
