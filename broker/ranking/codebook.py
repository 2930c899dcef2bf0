"""The encode/decode step between stored rows and the numpy matching core.

Reference code lists become integer-indexed lookup tables (once per process); offers and requests
become ``OfferRecord`` / ``DemandArrays`` rows of integer codes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from broker.matching import (
    CodeTables,
    CountryTables,
    DemandArrays,
    MatchTables,
    ModalityTables,
    OfferRecord,
    SectorTables,
    build_demand,
)
from broker.models import Institution, KnowledgeRequest, Offer
from broker.reference import get_reference
from broker.reference.names import normalize_code
from broker.schemas.ranking import ExploreRequest


@dataclass(frozen=True)
class Codebook:
    tables: MatchTables
    codes: CodeTables
    sector_index: dict[str, int]
    country_index: dict[str, int]
    language_index: dict[str, int]
    modality_index: dict[str, int]
    modality_codes: tuple[str, ...]

    @property
    def n_languages(self) -> int:
        return len(self.language_index)

    def sectors(self, codes: Sequence[str]) -> list[int]:
        return [self.sector_index[c] for c in codes if c in self.sector_index]

    def country(self, code: str) -> int:
        return self.country_index.get(code, -1)

    def languages(self, *code_lists: Sequence[str]) -> list[int]:
        return sorted(
            {self.language_index[c] for codes in code_lists for c in codes if c in self.language_index}
        )

    def modalities(self, codes: Sequence[str]) -> list[int]:
        return [self.modality_index[c] for c in codes if c in self.modality_index]


@cache
def get_codebook() -> Codebook:
    """Lookup tables and reference codes built from the reference lists (once per process)."""
    ref = get_reference()
    t = ref.tables
    tables = MatchTables(
        sectors=SectorTables(category_of=t.sector_category_idx, group_of=t.sector_group_idx),
        countries=CountryTables(
            region_of=t.country_region_idx,
            subregion_of=t.country_subregion_idx,
            intermediate_of=t.country_intermediate_idx,
            income_of=t.country_income_idx,
            distance_km=t.country_distance_km,
        ),
        modalities=ModalityTables(
            relatedness=t.modality_relatedness,
            fixed_usd=t.modality_fixed_usd,
            per_participant_usd=t.modality_per_participant_usd,
            per_traveller_per_day_usd=t.modality_per_traveller_per_day_usd,
            typical_days=t.modality_typical_days,
            typical_group_size=t.modality_typical_group_size,
            travellers=t.modality_travellers_idx,
            experts=t.modality_experts,
            interpretation_per_day_usd=t.modality_interpretation_per_day_usd,
        ),
    )

    codes = CodeTables(
        sectors=list(t.sector_codes),
        categories=list(t.category_codes),
        groups=list(t.group_codes),
        countries=list(t.country_codes),
        regions=list(t.region_codes),
        subregions=list(t.subregion_codes),
        intermediate_regions=list(t.intermediate_codes),
        income_levels=[normalize_code(level) for level in t.income_levels],
        modalities=list(t.modality_codes),
        languages=list(t.language_codes),
    )
    return Codebook(
        tables=tables,
        codes=codes,
        sector_index=dict(t.sector_index),
        country_index=dict(t.country_index),
        language_index=dict(t.language_index),
        modality_index=dict(t.modality_index),
        modality_codes=tuple(t.modality_codes),
    )


def end_of_day(day: date | None) -> float:
    """POSIX seconds at the end of ``day`` (UTC), or infinity for no end."""
    if day is None:
        return math.inf
    return datetime.combine(day, time.max, tzinfo=UTC).timestamp()


def confident_codes(suggested: Mapping[str, Any] | None, kind: str) -> list[str]:
    """The suggested codes of one kind ("sectors", "modalities", ...) that are confident enough to
    stand in for codes the author did not give (``confident`` flag set by the suggester)."""
    entries = (suggested or {}).get(kind) or []
    return [str(e["code"]) for e in entries if isinstance(e, Mapping) and e.get("confident")]


def effective_codes(
    given: Sequence[str], suggested: Mapping[str, Any] | None, kind: str
) -> tuple[list[str], bool]:
    """The codes matching uses: the author's when given, else the confident suggestions.

    Returns:
        (codes, inferred): ``inferred`` is True when the codes come from the suggestions.
    """
    if given:
        return list(given), False
    inferred = confident_codes(suggested, kind)
    return inferred, bool(inferred)


def _text_languages(item: Offer | KnowledgeRequest | ExploreRequest) -> list[str]:
    language = getattr(item, "text_language", None)
    return [language] if language else []


def _text_language_index(book: Codebook, item: Offer | KnowledgeRequest | ExploreRequest) -> int:
    language = getattr(item, "text_language", None)
    return book.language_index.get(language, -1) if language else -1


@dataclass(frozen=True, slots=True)
class OfferRow:
    """An offer reduced to the codes the core scores, and which of them were inferred."""

    record: OfferRecord
    sector_codes: tuple[str, ...]
    sectors_inferred: bool


def offer_record(
    book: Codebook, offer: Offer, institution: Institution, embedding: NDArray[np.float32]
) -> OfferRecord:
    return offer_row(book, offer, institution, embedding).record


def offer_row(
    book: Codebook, offer: Offer, institution: Institution, embedding: NDArray[np.float32]
) -> OfferRow:
    """Encode a stored offer; without author-given sectors or modalities, the confident suggestions
    stand in (an offer with no modality at all can be shared in any)."""
    sectors, sectors_inferred = effective_codes(offer.sectors, offer.suggested, "sectors")
    modalities, _ = effective_codes(offer.modalities, offer.suggested, "modalities")
    record = OfferRecord(
        offer_id=offer.id,
        institution_id=offer.institution_id,
        embedding=embedding,
        sectors=book.sectors(sectors),
        country=book.country(offer.country),
        modalities=book.modalities(modalities) or list(range(len(book.modality_codes))),
        languages=book.languages(offer.languages, institution.languages, _text_languages(offer)),
        cost_usd=offer.cost_usd,
        valid_until=end_of_day(offer.available_until),
        text_language=_text_language_index(book, offer),
    )
    return OfferRow(record, tuple(sectors), sectors_inferred)


@dataclass(frozen=True, slots=True)
class DemandRow:
    """A request reduced to the codes the core scores, detached from any database session."""

    request_id: int
    institution_id: int
    sectors: list[int]
    country: int
    modalities: list[int]
    languages: list[int]
    budget_usd: float | None
    participants: int | None
    valid_until: float
    text_language: int = -1
    sector_codes: tuple[str, ...] = ()
    sectors_inferred: bool = False
    modalities_inferred: bool = False


def demand_row(
    book: Codebook,
    request: KnowledgeRequest | ExploreRequest,
    institution: Institution | None,
    suggested: Mapping[str, Any] | None = None,
) -> DemandRow:
    """Encode a stored or an exploratory (unsaved) request.

    Its languages are united with its institution's working languages and the language its text is
    written in. Sectors and modalities are the author's; where the author gave none, the confident
    suggestions (``suggested``, by default the stored request's) stand in and are flagged as
    inferred. An exploratory request has no id (0) and no end date, and may have no institution (-1).
    """
    if suggested is None and isinstance(request, KnowledgeRequest):
        suggested = request.suggested
    sectors, sectors_inferred = effective_codes(request.sectors, suggested, "sectors")
    modalities, modalities_inferred = effective_codes(request.modalities, suggested, "modalities")
    return DemandRow(
        request_id=request.id if isinstance(request, KnowledgeRequest) else 0,
        institution_id=institution.id if institution else -1,
        sectors=book.sectors(sectors),
        country=book.country(request.country),
        modalities=book.modalities(modalities),
        languages=book.languages(
            request.languages, institution.languages if institution else [], _text_languages(request)
        ),
        budget_usd=request.budget_usd or None,
        participants=request.participants,
        valid_until=end_of_day(request.timeframe_end) if isinstance(request, KnowledgeRequest) else math.inf,
        text_language=_text_language_index(book, request),
        sector_codes=tuple(sectors),
        sectors_inferred=sectors_inferred,
        modalities_inferred=modalities_inferred,
    )


def demand_arrays(book: Codebook, rows: Sequence[DemandRow], embeddings: NDArray[np.float32]) -> DemandArrays:
    """Stack encoded requests and their (n, dim) embeddings into demand arrays."""
    return build_demand(
        embedding=embeddings,
        sectors=[r.sectors for r in rows],
        country=[r.country for r in rows],
        modalities=[r.modalities for r in rows],
        languages=[r.languages for r in rows],
        n_languages=book.n_languages,
        budget_usd=[r.budget_usd for r in rows],
        participants=[r.participants for r in rows],
        text_language=[r.text_language for r in rows],
    )
