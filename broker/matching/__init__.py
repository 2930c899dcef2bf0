"""The matching core: numpy in, numpy out.

Requests (demand) and offers (supply) arrive as dataclasses of plain arrays with integer codes
(``arrays``), the reference code lists as lookup tables (``tables``). ``score_pairs`` computes six
factors in [0, 1] for every pair in one vectorised pass (``factors``, ``choice``, ``cost``) and
combines them with normalised ``Weights``, the contextual factors gated by topical relevance;
``fit`` says whether a pair is a strong, possible or weak fit; ``rank`` picks the best eligible
candidates with a deterministic tie-break and a per-institution cap; ``explain`` turns a ranked
pair into reasons. ``OfferIndex`` keeps the offers in memory as contiguous arrays. No web, database
or settings imports.
"""

from broker.matching.arrays import (
    ALL_MODALITIES,
    N_MODALITIES,
    DemandArrays,
    SupplyArrays,
    build_demand,
    build_supply,
    language_bits,
    modality_mask,
    modality_masks,
    pad_codes,
)
from broker.matching.choice import ModalityChoice, choose_modality, offered_slots
from broker.matching.cost import (
    CostParams,
    CostParts,
    airfare_usd,
    cost_fit,
    estimate_exchange_cost,
    exchange_cost_parts,
    pair_distance_km,
)
from broker.matching.explain import (
    CodeTables,
    CostBreakdown,
    MatchEvidence,
    Reason,
    cost_breakdown,
    explain_match,
    match_evidence,
    modality_reason,
)
from broker.matching.factors import (
    FactorParams,
    cosine_similarity,
    language_fit,
    region_fit,
    relevance_gate,
    sector_fit,
    semantic_fit,
    shares_language,
    topical_relevance,
)
from broker.matching.fit import GOOD_FITS, Fit, FitThresholds, fit_labels, fit_of
from broker.matching.index import OfferIndex, OfferRecord, SearchResult
from broker.matching.results import FACTORS, RankedMatch, ScoredCandidates, ranked_matches
from broker.matching.scoring import Weights, rank, score_pairs
from broker.matching.tables import CountryTables, MatchTables, ModalityTables, SectorTables

__all__ = [
    "ALL_MODALITIES",
    "FACTORS",
    "GOOD_FITS",
    "N_MODALITIES",
    "CodeTables",
    "CostBreakdown",
    "CostParams",
    "CostParts",
    "CountryTables",
    "DemandArrays",
    "FactorParams",
    "Fit",
    "FitThresholds",
    "MatchEvidence",
    "MatchTables",
    "ModalityChoice",
    "ModalityTables",
    "OfferIndex",
    "OfferRecord",
    "RankedMatch",
    "Reason",
    "ScoredCandidates",
    "SearchResult",
    "SectorTables",
    "SupplyArrays",
    "Weights",
    "airfare_usd",
    "build_demand",
    "build_supply",
    "choose_modality",
    "cosine_similarity",
    "cost_breakdown",
    "cost_fit",
    "estimate_exchange_cost",
    "exchange_cost_parts",
    "explain_match",
    "fit_labels",
    "fit_of",
    "language_bits",
    "language_fit",
    "match_evidence",
    "modality_mask",
    "modality_masks",
    "modality_reason",
    "offered_slots",
    "pad_codes",
    "pair_distance_km",
    "rank",
    "ranked_matches",
    "region_fit",
    "relevance_gate",
    "score_pairs",
    "sector_fit",
    "semantic_fit",
    "shares_language",
    "topical_relevance",
]
