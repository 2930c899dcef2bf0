"""The per-process match engine: the encoder, the lookup tables and in-memory indexes of the catalog.

Each worker process keeps its own indexes and checks the database's catalog generation before
every ranking; when another process (or this one) has written since, only the rows whose change
counter moved are re-read. So indexes stay consistent with the database across workers without
re-reading every offer per call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.matching import (
    DemandArrays,
    Encoder,
    FactorParams,
    Fit,
    FitThresholds,
    OfferIndex,
    RankedMatch,
    Reason,
    ScoredCandidates,
    SupplyArrays,
    Weights,
    build_supply,
    explain_match,
    fit_of,
    match_evidence,
    rank,
    ranked_matches,
    score_pairs,
)
from broker.models import Institution, KnowledgeRequest, Offer, OfferStatus, RequestStatus
from broker.services import embeddings
from broker.services.codebook import (
    Codebook,
    DemandRow,
    OfferRow,
    demand_arrays,
    demand_row,
    get_codebook,
    offer_row,
)
from broker.services.understanding import suggester_for
from broker.services.writes import catalog_generation

log = logging.getLogger(__name__)
FETCH_CHUNK = 500
Stamp = tuple[int, int]  # (row change_seq, institution version): either moving means re-encode


@dataclass
class RequestPool:
    """Open requests encoded as demand rows, for ranking requests against one offer."""

    stamps: dict[int, Stamp] = field(default_factory=dict)
    rows: dict[int, tuple[DemandRow, NDArray[np.float32]]] = field(default_factory=dict)
    arrays: DemandArrays | None = None
    ids: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    institution_ids: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    valid_until: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))


def semantic_params(encoder: Encoder) -> FactorParams:
    """Factor levels with the semantic scale of this encoder: each model spreads cosines differently
    (multilingual-e5 puts unrelated texts near 0.81, MiniLM near 0.1), so each declares the cosine
    it maps to 0 and to 1 (``cosine_range``) and how much closer a cross-lingual pair is than its
    cosine says (``cross_lingual_offset``), both calibrated on the dev sets."""
    low, high = getattr(encoder, "cosine_range", (FactorParams.semantic_low, FactorParams.semantic_high))
    offset = getattr(encoder, "cross_lingual_offset", 0.0)
    return FactorParams(
        semantic_low=float(low), semantic_high=float(high), cross_lingual_offset=float(offset)
    )


class MatchEngine:
    """Holds what ranking needs in memory; every public method is thread-safe."""

    def __init__(
        self, encoder: Encoder, codebook: Codebook | None = None, fit: FitThresholds | None = None
    ) -> None:
        self.encoder = encoder
        self.params = semantic_params(encoder)
        self.fit = fit or FitThresholds()
        self.book = codebook or get_codebook()
        self.lock = threading.RLock()
        self.offers = OfferIndex(dim=encoder.dim, n_languages=self.book.n_languages)
        self.offer_stamps: dict[int, Stamp] = {}
        self.offer_rows: dict[int, OfferRow] = {}
        self.requests = RequestPool()
        self.generation = -1
        self.suggester = suggester_for(encoder)

    def sync(self, session: Session) -> None:
        """Bring the indexes up to date with the database (cheap when nothing changed)."""
        with self.lock:
            generation = catalog_generation(session)
            if generation == self.generation:
                return
            started = time.perf_counter()
            changed_offers = self._sync_offers(session)
            changed_requests = self._sync_requests(session)
            self.generation = generation
            log.info(
                "match index at generation %s: %s offers, %s open requests re-read in %.0f ms",
                generation,
                changed_offers,
                changed_requests,
                1000 * (time.perf_counter() - started),
            )

    def _live(
        self, session: Session, model: type[Offer] | type[KnowledgeRequest], status: str
    ) -> dict[int, Stamp]:
        stmt = (
            select(model.id, model.change_seq, Institution.version)
            .join(Institution, Institution.id == model.institution_id)
            .where(model.status == status)
        )
        return {row_id: (seq, version) for row_id, seq, version in session.execute(stmt)}

    def _changed_rows(
        self, session: Session, model: type[Offer] | type[KnowledgeRequest], ids: Sequence[int]
    ) -> list[tuple[Offer | KnowledgeRequest, Institution]]:
        rows: list[tuple[Offer | KnowledgeRequest, Institution]] = []
        for start in range(0, len(ids), FETCH_CHUNK):
            stmt = (
                select(model, Institution)
                .join(Institution, Institution.id == model.institution_id)
                .where(model.id.in_(ids[start : start + FETCH_CHUNK]))
            )
            rows.extend((item, inst) for item, inst in session.execute(stmt))  # type: ignore[misc]
        return rows

    def _sync_offers(self, session: Session) -> int:
        live = self._live(session, Offer, OfferStatus.published.value)
        for gone in set(self.offer_stamps) - set(live):
            self.offers.remove(gone)
            del self.offer_stamps[gone], self.offer_rows[gone]
        changed = sorted(i for i, stamp in live.items() if self.offer_stamps.get(i) != stamp)
        rows = self._changed_rows(session, Offer, changed)
        vectors = embeddings.embed_items(session, encoder=self.encoder, items=[item for item, _ in rows])
        for (offer, institution), vector in zip(rows, vectors, strict=True):
            assert isinstance(offer, Offer)
            encoded = offer_row(self.book, offer, institution, vector)
            self.offers.upsert(encoded.record)
            self.offer_rows[offer.id] = encoded
            self.offer_stamps[offer.id] = live[offer.id]
        return len(rows)

    def _sync_requests(self, session: Session) -> int:
        pool = self.requests
        live = self._live(session, KnowledgeRequest, RequestStatus.open.value)
        gone = set(pool.stamps) - set(live)
        changed = sorted(i for i, stamp in live.items() if pool.stamps.get(i) != stamp)
        if not gone and not changed:
            return 0
        for request_id in gone:
            del pool.stamps[request_id], pool.rows[request_id]
        rows = self._changed_rows(session, KnowledgeRequest, changed)
        vectors = embeddings.embed_items(session, encoder=self.encoder, items=[item for item, _ in rows])
        for (request, institution), vector in zip(rows, vectors, strict=True):
            assert isinstance(request, KnowledgeRequest)
            pool.rows[request.id] = (demand_row(self.book, request, institution), vector)
            pool.stamps[request.id] = live[request.id]
        self._rebuild_demand()
        return len(rows)

    def _rebuild_demand(self) -> None:
        pool = self.requests
        ordered = [pool.rows[i] for i in sorted(pool.rows)]
        rows = [row for row, _ in ordered]
        if ordered:
            pool.arrays = demand_arrays(self.book, rows, np.stack([vector for _, vector in ordered]))
        else:
            pool.arrays = None
        pool.ids = np.array([r.request_id for r in rows], dtype=np.int64)
        pool.institution_ids = np.array([r.institution_id for r in rows], dtype=np.int64)
        pool.valid_until = np.array([r.valid_until for r in rows], dtype=np.float64)

    # Ranking -------------------------------------------------------------------------------------

    def rank_offers(
        self,
        row: DemandRow,
        vector: NDArray[np.float32],
        *,
        weights: Weights,
        limit: int,
        per_institution: int | None,
        now: float,
    ) -> list[Explained]:
        """Best published offers for one (encoded) request; the caller has called ``sync``."""
        with self.lock:
            demand = demand_arrays(self.book, [row], vector[None, :])
            index = self.offers
            eligible = (index.valid_until >= now) & (index.institution_ids != row.institution_id)
            result = index.search(
                demand,
                self.book.tables,
                weights=weights,
                params=self.params,
                eligible=eligible,
                limit=limit,
                per_institution=per_institution,
            )
            supply = index.supply()
            return [
                self._explained(m, demand, supply, result.scored, row, self.offer_rows.get(m.id))
                for m in result.matches
            ]

    def rank_requests(
        self,
        offer: Offer,
        institution: Institution,
        vector: NDArray[np.float32],
        *,
        weights: Weights,
        limit: int,
        per_institution: int | None,
        now: float,
    ) -> list[Explained]:
        """Best open requests for one offer (the supply side looking for demand)."""
        with self.lock:
            pool = self.requests
            if pool.arrays is None:
                return []
            encoded = offer_row(self.book, offer, institution, vector)
            record = encoded.record
            supply = build_supply(
                embedding=np.asarray(record.embedding, dtype=np.float32)[None, :],
                sectors=[record.sectors],
                country=[record.country],
                modalities=[record.modalities],
                languages=[record.languages],
                n_languages=self.book.n_languages,
                cost_usd=[record.cost_usd],
                text_language=[record.text_language],
            )
            scored = score_pairs(pool.arrays, supply, self.book.tables, weights, self.params)
            eligible = (pool.valid_until >= now) & (pool.institution_ids != offer.institution_id)
            positions = rank(
                scored.scores,
                ids=pool.ids,
                institution_ids=pool.institution_ids,
                eligible=eligible,
                limit=limit,
                per_institution=per_institution,
            )
            matches = ranked_matches(scored, positions, pool.ids)
            arrays = pool.arrays
            return [self._explained(m, arrays, supply, scored, pool.rows[m.id][0], encoded) for m in matches]

    def _explained(
        self,
        match: RankedMatch,
        demand: DemandArrays,
        supply: SupplyArrays,
        scored: ScoredCandidates,
        row: DemandRow,
        offer: OfferRow | None,
    ) -> Explained:
        evidence = match_evidence(demand, supply, scored, match.position, self.book.tables)
        reasons = explain_match(evidence, self.book.codes)
        fit = fit_of(match.score, match.relevance, self.fit)
        inferred = self._inferred_reasons(row, offer)
        if inferred:
            reasons[1:1] = inferred  # right after the semantic fit, before the sector reason
        if match.gate < 1.0:
            weak = {"relevance": round(match.relevance, 4), "share": round(match.gate, 4)}
            reasons.append(Reason("relevance.weak", weak))
        return Explained(match, reasons, fit)

    def _inferred_reasons(self, row: DemandRow, offer: OfferRow | None) -> list[Reason]:
        """Say where sectors were inferred from a text rather than given by its author."""
        index = self.book.sector_index
        reasons = []
        if row.sectors_inferred:
            listed: list[str] = [c for c in row.sector_codes if c in index]
            reasons.append(Reason("sector.inferred_request", {"sectors": listed}))
        if offer is not None and offer.sectors_inferred:
            listed = [c for c in offer.sector_codes if c in index]
            reasons.append(Reason("sector.inferred_offer", {"sectors": listed}))
        return reasons


@dataclass(frozen=True, slots=True)
class Explained:
    match: RankedMatch
    reasons: list[Reason]
    fit: Fit
