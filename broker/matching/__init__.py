"""The matching core: numpy in, numpy out.

Requests (demand) and offers (supply) arrive as dataclasses of plain arrays with integer codes
(``arrays``), the reference code lists as lookup tables (``tables``). ``score_pairs`` computes seven
factors in [0, 1] for every pair in one vectorised pass (``factors``, ``choice``, ``cost``,
``track_record``: the provider's record, counted relative to its neutral value) and
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
    track_record_reason,
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
from broker.matching.scoring import DEFAULT_TRACK_RECORD_WEIGHT, Weights, rank, score_pairs
from broker.matching.tables import CountryTables, MatchTables, ModalityTables, SectorTables
from broker.matching.track_record import (
    NEUTRAL,
    STATS,
    PairRecords,
    TrackRecordParams,
    TrackRecordTable,
    pair_records,
    topic_groups,
    track_record_fit,
)

__all__ = [
    "ALL_MODALITIES",
    "DEFAULT_TRACK_RECORD_WEIGHT",
    "FACTORS",
    "GOOD_FITS",
    "NEUTRAL",
    "N_MODALITIES",
    "STATS",
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
    "PairRecords",
    "RankedMatch",
    "Reason",
    "ScoredCandidates",
    "SearchResult",
    "SectorTables",
    "SupplyArrays",
    "TrackRecordParams",
    "TrackRecordTable",
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
    "pair_records",
    "rank",
    "ranked_matches",
    "region_fit",
    "relevance_gate",
    "score_pairs",
    "sector_fit",
    "semantic_fit",
    "shares_language",
    "topic_groups",
    "topical_relevance",
    "track_record_fit",
    "track_record_reason",
]
