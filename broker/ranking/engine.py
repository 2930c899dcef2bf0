"""The per-process match engine: the encoder, the lookup tables and in-memory indexes of the catalog.

Each worker process keeps its own indexes. Before ranking it compares the database's catalogue
generation (``broker.ranking.catalog``) with the one it last read and, when they differ, re-reads
only what changed since: rows whose ``change_seq`` (or whose institution's) is newer, and the
tombstones of deleted rows. Two locks keep this cheap and safe across threads: ``_catching_up``
lets one thread at a time read the changes (and embed any text whose vector is not stored, so the
model never runs under the index lock), and ``lock`` is held only while the changes are applied
and while a ranking reads the arrays.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import cast

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.i18n import DEFAULT_LOCALE, RenderedReason, render_reasons
from broker.matching import (
    CostBreakdown,
    DemandArrays,
    FactorParams,
    Fit,
    FitThresholds,
    OfferIndex,
    RankedMatch,
    Reason,
    ScoredCandidates,
    SupplyArrays,
    TrackRecordTable,
    Weights,
    build_supply,
    cost_breakdown,
    explain_match,
    fit_of,
    match_evidence,
    modality_reason,
    pair_records,
    rank,
    ranked_matches,
    score_pairs,
    topic_groups,
)
from broker.matching.snapshot import load_extra
from broker.models import CatalogDeletion, Institution, KnowledgeRequest, Offer, OfferStatus, RequestStatus
from broker.ranking.catalog import catalog_generation
from broker.ranking.codebook import (
    Codebook,
    DemandRow,
    demand_arrays,
    demand_row,
    get_codebook,
    offer_row,
)
from broker.ranking.embedding import Encoder, text_hash
from broker.ranking.embedding import store as embeddings
from broker.ranking.track_record import exchanges_signature, load_track_records
from broker.services.understanding import suggester_for

log = logging.getLogger(__name__)
FETCH_CHUNK = 500
QUERY_CACHE_SIZE = 4096
RANKED_CACHE_SIZE = 2048
Item = Offer | KnowledgeRequest


@dataclass
class RequestPool:
    """Open requests encoded as demand rows, for ranking requests against one offer."""

    rows: dict[int, tuple[DemandRow, NDArray[np.float32]]] = field(default_factory=dict)
    seqs: dict[int, int] = field(default_factory=dict)  # request id -> change_seq when encoded
    arrays: DemandArrays | None = None
    ids: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    institution_ids: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    valid_until: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))


@dataclass
class Changes:
    """What a catch-up read: rows to (re-)encode, and ids to drop, per kind."""

    offers: list[tuple[Offer, Institution, NDArray[np.float32]]] = field(default_factory=list)
    requests: list[tuple[KnowledgeRequest, Institution, NDArray[np.float32]]] = field(default_factory=list)
    gone_offers: set[int] = field(default_factory=set)
    gone_requests: set[int] = field(default_factory=set)
    live_offers: set[int] | None = None  # after a bulk delete: the ids still live
    live_requests: set[int] | None = None


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
        self._catching_up = threading.Lock()
        self.offers = OfferIndex(dim=encoder.dim, n_languages=self.book.n_languages)
        # offer id -> its sector codes, for offers whose sectors were inferred from their text
        self.inferred_offers: dict[int, tuple[str, ...]] = {}
        self.requests = RequestPool()
        self.generation = -1  # every index is up to date with this catalogue generation
        self._seen = {"offer": -1, "request": -1}  # per index (they differ after loading a snapshot)
        self.suggester = suggester_for(encoder)
        self._queries: OrderedDict[str, NDArray[np.float32]] = OrderedDict()
        self._queries_lock = threading.Lock()
        self._lists: OrderedDict[Hashable, list[Explained]] = OrderedDict()
        # providers' records; re-read when the exchanges' fingerprint moves (writes to exchanges and
        # reports advance the catalogue generation, so ``sync`` looks)
        self.track_records = TrackRecordTable()
        self._track_signature: tuple[object, ...] | None = None

    # Synchronisation ------------------------------------------------------------------------------

    def sync(self, session: Session) -> None:
        """Bring the indexes up to date with the database (one indexed read when nothing changed)."""
        generation = catalog_generation(session)
        if generation == self.generation:
            return
        with self._catching_up:
            if generation == self.generation:  # another thread caught up meanwhile
                return
            started = time.perf_counter()
            changes = self._read_changes(session, dict(self._seen))
            signature = exchanges_signature(session)
            records = None
            if signature != self._track_signature or changes.offers or changes.gone_offers:
                records = load_track_records(session, self.book)  # an offer's sectors may have moved
            with self.lock:
                self._apply(changes)
                if records is not None:
                    self.track_records, self._track_signature = records, signature
                self.generation = generation
                self._seen = {"offer": generation, "request": generation}
            log.info(
                "match index at generation %s: %s offers and %s open requests re-read in %.0f ms",
                generation,
                len(changes.offers),
                len(changes.requests),
                1000 * (time.perf_counter() - started),
            )

    def _read_changes(self, session: Session, seen: dict[str, int]) -> Changes:
        changes = Changes()
        for kind, row_id, at in session.execute(
            select(CatalogDeletion.kind, CatalogDeletion.row_id, CatalogDeletion.generation).where(
                CatalogDeletion.generation > min(seen.values())
            )
        ):
            if kind not in seen or at <= seen[kind]:
                continue
            gone = changes.gone_offers if kind == "offer" else changes.gone_requests
            if row_id is not None:
                gone.add(row_id)
            elif kind == "offer":
                changes.live_offers = self._live_ids(session, Offer, OfferStatus.published.value)
            elif kind == "request":
                changes.live_requests = self._live_ids(session, KnowledgeRequest, RequestStatus.open.value)
        offers = self._changed_rows(
            session, Offer, OfferStatus.published.value, seen["offer"], changes.gone_offers
        )
        requests = self._changed_rows(
            session, KnowledgeRequest, RequestStatus.open.value, seen["request"], changes.gone_requests
        )
        vectors = self._vectors(session, [item for item, _ in offers + requests])
        n = len(offers)
        changes.offers = [(cast(Offer, o), i, v) for (o, i), v in zip(offers, vectors[:n], strict=True)]
        changes.requests = [
            (cast(KnowledgeRequest, r), i, v) for (r, i), v in zip(requests, vectors[n:], strict=True)
        ]
        return changes

    def _live_ids(self, session: Session, model: type[Item], status: str) -> set[int]:
        return set(session.scalars(select(model.id).where(model.status == status)))

    def _changed_rows(
        self, session: Session, model: type[Item], status: str, seen: int, gone: set[int]
    ) -> list[tuple[Item, Institution]]:
        """Rows written after ``seen`` (or whose institution was): live ones to encode, others to drop."""
        if seen < 0:  # first read: every live row
            ids = list(self._live_ids(session, model, status))
        else:
            own = select(model.id).where(model.change_seq > seen)
            via = (
                select(model.id)
                .join(Institution, Institution.id == model.institution_id)
                .where(Institution.change_seq > seen)
            )
            ids = sorted(set(session.scalars(own)) | set(session.scalars(via)))
        rows: list[tuple[Item, Institution]] = []
        for start in range(0, len(ids), FETCH_CHUNK):
            stmt = (
                select(model, Institution)
                .join(Institution, Institution.id == model.institution_id)
                .where(model.id.in_(ids[start : start + FETCH_CHUNK]))
            )
            for found, institution in session.execute(stmt):
                item = cast(Item, found)
                if item.status == status:
                    rows.append((item, institution))
                else:
                    gone.add(item.id)
        return rows

    def _vectors(self, session: Session, items: Sequence[Item]) -> list[NDArray[np.float32]]:
        """Stored vectors; texts written before a model change are embedded here but not stored
        (reading never writes: ``broker reindex`` stores them)."""
        texts = [embeddings.item_text(item) for item in items]
        return embeddings.ensure_vectors(session, encoder=self.encoder, texts=texts, store=False)

    def _apply(self, changes: Changes) -> None:
        index = self.offers
        gone = set(changes.gone_offers)
        if changes.live_offers is not None:
            gone |= set(index.ids.tolist()) - changes.live_offers
        for offer_id in gone:
            if offer_id in index:
                index.remove(offer_id)
            self.inferred_offers.pop(offer_id, None)
        for offer, institution, vector in changes.offers:
            encoded = offer_row(self.book, offer, institution, vector)
            index.upsert(encoded.record)
            if encoded.sectors_inferred:
                self.inferred_offers[offer.id] = encoded.sector_codes
            else:
                self.inferred_offers.pop(offer.id, None)
        pool = self.requests
        gone = set(changes.gone_requests)
        if changes.live_requests is not None:
            gone |= set(pool.rows) - changes.live_requests
        dropped = [request_id for request_id in gone if pool.rows.pop(request_id, None) is not None]
        for request_id in dropped:
            pool.seqs.pop(request_id, None)
        for request, institution, vector in changes.requests:
            pool.rows[request.id] = (demand_row(self.book, request, institution), vector)
            pool.seqs[request.id] = request.change_seq
        if dropped or changes.requests:
            self._rebuild_demand()

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

    def remembered(self, key: Hashable, rank: Callable[[], list[Explained]]) -> list[Explained]:
        """A ranked list computed once per ``key``: the caller's key names everything the list depends
        on (request version, catalogue generation, profile version, limits, the minute for expiry),
        so a repeated read of an unchanged list costs no ranking and no explaining."""
        with self._queries_lock:
            found = self._lists.get(key)
            if found is not None:
                self._lists.move_to_end(key)
                return found
        ranked = rank()
        with self._queries_lock:
            self._lists[key] = ranked
            while len(self._lists) > RANKED_CACHE_SIZE:
                self._lists.popitem(last=False)
        return ranked

    # Snapshots ------------------------------------------------------------------------------------

    def save_snapshot(self, path: str | Path) -> int:
        """Write the offer index to ``path`` (memory-mapped by ``load_snapshot``), with the open
        requests' encoded rows and vectors when they are at the same generation; returns it."""
        with self.lock:
            generation = self._seen["offer"]
            meta: dict[str, object] = {
                "generation": generation,
                "model_id": self.encoder.model_id,
                "inferred": {str(k): list(v) for k, v in self.inferred_offers.items()},
            }
            extras = {}
            pool = self.requests
            if self._seen["request"] == generation:
                ids = sorted(pool.rows)
                meta["requests"] = {
                    "rows": [asdict(pool.rows[i][0]) for i in ids],
                    "seqs": [pool.seqs.get(i) for i in ids],
                }
                extras["request_vectors"] = (
                    np.stack([pool.rows[i][1] for i in ids])
                    if ids
                    else np.zeros((0, self.encoder.dim), dtype=np.float32)
                )
            self.offers.save(path, meta, extras)
            return generation

    def load_snapshot(self, path: str | Path) -> int:
        """Start from a snapshot instead of reading every row: the next ``sync`` reads only the offers
        and requests written after it (every open request when the snapshot holds none, as one
        written by an older version). Returns its generation.

        Raises:
            ValueError: the snapshot was made with another model or dimension.
        """
        index, meta = OfferIndex.load(path)
        if meta.get("model_id") != self.encoder.model_id or index.dim != self.encoder.dim:
            raise ValueError(
                f"snapshot {path} was made with {meta.get('model_id')}, not {self.encoder.model_id}"
            )
        generation = int(meta["generation"])
        pool, request_generation = RequestPool(), -1
        stored, vectors = meta.get("requests"), load_extra(path, "request_vectors")
        if stored is not None and vectors is not None and len(vectors) == len(stored["rows"]):
            for fields, seq, vector in zip(stored["rows"], stored["seqs"], vectors, strict=True):
                row = DemandRow(**{**fields, "sector_codes": tuple(fields["sector_codes"])})
                pool.rows[row.request_id] = (row, np.asarray(vector, dtype=np.float32))
                if seq is not None:
                    pool.seqs[row.request_id] = int(seq)
            request_generation = generation
        with self._catching_up, self.lock:
            self.offers = index
            self.inferred_offers = {int(k): tuple(v) for k, v in meta.get("inferred", {}).items()}
            self._seen = {"offer": generation, "request": request_generation}
            self.requests = pool
            self._rebuild_demand()
            self.generation = -1
        return generation

    # Vectors --------------------------------------------------------------------------------------

    def item_vector(self, session: Session, item: Item) -> NDArray[np.float32]:
        """The vector of a stored offer or request: from the index when it holds this version of the
        text, else from the stored embeddings (computed, not stored, if missing)."""
        if isinstance(item, KnowledgeRequest):
            with self.lock:
                held = self.requests.rows.get(item.id)
                if held is not None and self.requests.seqs.get(item.id) == item.change_seq:
                    return held[1]
        return self._vectors(session, [item])[0]

    def query_vector(self, session: Session, text: str) -> NDArray[np.float32]:
        """The vector of a text that is not stored (an explored request), cached by (text, model):
        repeated texts are embedded once per process, and a text stored earlier is not re-embedded."""
        key = text_hash(text, self.encoder.model_id)
        with self._queries_lock:
            cached = self._queries.get(key)
            if cached is not None:
                self._queries.move_to_end(key)
                return cached
        stored = embeddings.stored_vectors(session, model_id=self.encoder.model_id, hashes=[key])
        vector = stored.get(key)
        if vector is None:
            vector = np.asarray(self.encoder.encode([text])[0], dtype=np.float32)  # no lock held
        with self._queries_lock:
            self._queries[key] = vector
            while len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return vector

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
                track_records=self.track_records,
            )
            supply = result.supply  # the rows that were scored (the first pass's pool on large catalogues)
            return [
                self._explained(m, demand, supply, result.scored, row, self.inferred_offers.get(m.id))
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
            groups = topic_groups(pool.arrays.sectors, self.book.tables.sectors)
            records = pair_records(self.track_records, np.array([offer.institution_id]), groups)
            scored = score_pairs(pool.arrays, supply, self.book.tables, weights, self.params, records=records)
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
            inferred = encoded.sector_codes if encoded.sectors_inferred else None
            return [self._explained(m, arrays, supply, scored, pool.rows[m.id][0], inferred) for m in matches]

    def _explained(
        self,
        match: RankedMatch,
        demand: DemandArrays,
        supply: SupplyArrays,
        scored: ScoredCandidates,
        row: DemandRow,
        offer_inferred: tuple[str, ...] | None,
    ) -> Explained:
        evidence = match_evidence(demand, supply, scored, match.position, self.book.tables)
        reasons = explain_match(evidence, self.book.codes)
        fit = fit_of(match.score, match.relevance, self.fit)
        inferred = self._inferred_reasons(row, offer_inferred)
        if inferred:
            reasons[1:1] = inferred  # right after the semantic fit, before the sector reason
        if match.gate < 1.0:
            weak = {"relevance": round(match.relevance, 4), "share": round(match.gate, 4)}
            reasons.append(Reason("relevance.weak", weak))
        cost = cost_breakdown(
            demand, supply, scored, match.position, self.book.tables, self.book.codes, evidence=evidence
        )
        why = modality_reason(evidence, self.book.codes)
        english = tuple(render_reasons([*reasons, why], DEFAULT_LOCALE))  # once per remembered list
        return Explained(match, reasons, fit, cost, why, english[:-1], english[-1])

    def _inferred_reasons(self, row: DemandRow, offer_inferred: tuple[str, ...] | None) -> list[Reason]:
        """Say where sectors were inferred from a text rather than given by its author."""
        index = self.book.sector_index
        reasons = []
        if row.sectors_inferred:
            listed: list[str] = [c for c in row.sector_codes if c in index]
            reasons.append(Reason("sector.inferred_request", {"sectors": listed}))
        if offer_inferred is not None:
            listed = [c for c in offer_inferred if c in index]
            reasons.append(Reason("sector.inferred_offer", {"sectors": listed}))
        return reasons


@dataclass(frozen=True, slots=True)
class Explained:
    match: RankedMatch
    reasons: list[Reason]
    fit: Fit
    cost: CostBreakdown
    modality_why: Reason  # why the cost estimate assumes its modality
    # The reasons and the modality's reason with their English sentences, rendered once: a remembered
    # list is answered many times (other locales render from the codes, ``broker.i18n``).
    english: tuple[RenderedReason, ...]
    modality_english: RenderedReason
