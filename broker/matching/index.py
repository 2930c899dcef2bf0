"""An in-memory index of the offers as contiguous arrays, kept up to date on every write.

Rows live in ``[0, len)`` of over-allocated arrays (capacity doubles when full); removing an offer
moves the last row into its place, so the live rows stay contiguous and scoring reads them as
zero-copy views. Row order is therefore arbitrary: ranking breaks ties by offer id, never by row.

Request-independent offer quantities (modality index rows, language bitsets) are computed here once.

From ``PrefilterParams.threshold`` live rows on, a search first scans compact int8 codes of the
embeddings (``prefilter``) for a pool of the semantically closest offers. A second pass bounds the
pool's cosines from full-dimension int8 codes (``refined_cosines``: each within about 1e-3,
rigorously) and their scores by a ceiling from the cheap factors (``score_ceiling``); only the
offers whose ceiling reaches the list are scored from their float32 embeddings, so the list is the
exact ranking of the pool. Below the threshold
every offer's cosine and a ceiling of its score from the cheap factors are computed, and only the
offers whose ceiling reaches the list are scored in full (``_Scorer.ceilinged``): the exact list.
``save`` and ``load`` (``snapshot``) write and memory-map the arrays; a loaded index reads the few
float32 rows it scores with ``pread`` (``snapshot.RowFile``), so they
never become part of the worker's resident memory.

Not thread-safe: serialise writes with searches (e.g. one lock), since a search reads views of the
same buffers that writes modify.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from broker.matching.arrays import (
    N_MODALITIES,
    DemandArrays,
    SupplyArrays,
    language_bits,
    language_words,
    modality_mask,
)
from broker.matching.choice import POPCOUNT, SLOTS, SlotArray
from broker.matching.cost import CostParams
from broker.matching.factors import FactorParams
from broker.matching.prefilter import (
    ROUNDING_SLACK,
    PrefilterParams,
    SemanticSketch,
    approximate_cosines,
    quantise_rows,
    refined_cosines,
    score_upper_bound,
)
from broker.matching.results import RankedMatch, ScoredCandidates, ranked_matches
from broker.matching.scoring import Weights, _at_least_top, rank, score_ceiling, score_pairs
from broker.matching.snapshot import RowFile, load_index, save_index
from broker.matching.tables import MatchTables
from broker.matching.track_record import (
    PairRecords,
    TrackRecordParams,
    TrackRecordTable,
    pair_records,
    topic_groups,
)

# Kept per row for the two passes, but not part of ``SupplyArrays``.
SKETCH_COLUMNS = ("sketch_codes", "sketch_terms", "refine_codes", "refine_terms")


@dataclass(frozen=True)
class OfferRecord:
    """One offer, encoded: everything the matching core needs about it.

    Attributes:
        offer_id: Stable unique id (also the ranking tie-break).
        institution_id: Offering institution (diversity cap, own-institution filter).
        embedding: (dim,) unit-norm embedding of the offer's text.
        sectors: Sector indexes.
        country: Country index of the offering institution, -1 unknown.
        modalities: Offered modality indexes, at least one.
        languages: Language indexes of the offer and its institution.
        cost_usd: Stated delivery cost in USD, >= 0, or None.
        valid_until: Expiry as POSIX seconds (``math.inf`` for none), for the caller's eligibility mask.
        text_language: Language index of the offer's text, -1 unknown.
    """

    offer_id: int
    institution_id: int
    embedding: ArrayLike
    sectors: Sequence[int]
    country: int
    modalities: Sequence[int]
    languages: Sequence[int]
    cost_usd: float | None = None
    valid_until: float = math.inf
    text_language: int = -1


@dataclass(frozen=True, slots=True, eq=False)
class SearchResult:
    """Scores of the offers scored exactly for one request, and the ranked selection.

    Attributes:
        scored: Scores of the m offers scored exactly (all n rows, or the first pass's pool).
        positions: (k,) ranked positions into ``scored`` and ``supply``, best first.
        matches: The k ranked matches; ``RankedMatch.position`` indexes ``scored`` and ``supply``.
        rows: (m,) index row of each scored offer (``arange(n)`` when every offer was scored).
        supply: The m scored offers' arrays, aligned with ``scored`` (for explanations).
        certified: Whether the list is provably the exact ranking of all eligible offers (always
            true when every eligible offer was scored).
    """

    scored: ScoredCandidates
    positions: NDArray[np.intp]
    matches: list[RankedMatch]
    rows: NDArray[np.intp]
    supply: SupplyArrays
    certified: bool = True


class OfferIndex:
    """Contiguous supply arrays of the offers, addressable by offer id."""

    def __init__(
        self,
        *,
        dim: int,
        n_languages: int,
        sector_width: int = 4,
        capacity: int = 1024,
        prefilter: PrefilterParams | None = None,
    ) -> None:
        """Create an empty index.

        Args:
            dim: Embedding dimension (896 for the default encoder).
            n_languages: Size of the language vocabulary.
            sector_width: Initial sector columns; grows when an offer lists more sectors.
            capacity: Initial number of rows allocated.
            prefilter: When the compressed first pass is used (default ``PrefilterParams()``).
        """
        self.dim, self.n_languages = dim, n_languages
        self.prefilter = prefilter or PrefilterParams()
        self._sketch: SemanticSketch | None = None  # fitted on the first search above the threshold
        self._slack_max = np.zeros(3, dtype=np.float32)  # upper bounds of the live rows' sketch terms
        self._size = 0
        self._position: dict[int, int] = {}
        self._width_counts = np.zeros(N_MODALITIES + 1, dtype=np.int64)  # live rows per modality count
        # name -> (dtype, fill, trailing shape); every array has one row per offer
        self._spec: dict[str, tuple[type[np.generic], float, tuple[int, ...]]] = {
            "embedding": (np.float32, 0.0, (dim,)),
            "sectors": (np.intp, -1, (max(1, sector_width),)),
            "country": (np.intp, -1, ()),
            "modalities": (np.uint16, 0, ()),
            "languages": (np.uint64, 0, (language_words(n_languages),)),
            "cost_usd": (np.float64, np.nan, ()),
            "text_language": (np.intp, -1, ()),
            "ids": (np.int64, 0, ()),
            "institution_ids": (np.int64, 0, ()),
            "valid_until": (np.float64, np.inf, ()),
            "sketch_codes": (np.int8, 0, (min(self.prefilter.dims, dim),)),
            "sketch_terms": (np.float32, 0.0, (3,)),
            "refine_codes": (np.int8, 0, (dim,)),
            "refine_terms": (np.float32, 0.0, (2,)),
        }
        # A loaded snapshot's float32 embeddings, read row by row with pread; rows written since
        # loading (``_dirty``) are read from the copy-on-write map instead. None: all in memory.
        self._embedding_file: RowFile | None = None
        self._dirty = np.zeros(0, dtype=np.bool_)
        self._rows: dict[str, NDArray[Any]] = {}
        self._slots_by_column = np.zeros((N_MODALITIES, 0), dtype=np.intp)  # column-major: contiguous slots
        self._grow(max(1, capacity))

    @classmethod
    def from_supply(
        cls,
        supply: SupplyArrays,
        *,
        ids: NDArray[np.integer],
        institution_ids: NDArray[np.integer],
        n_languages: int,
        valid_until: NDArray[np.floating] | None = None,
        prefilter: PrefilterParams | None = None,
    ) -> OfferIndex:
        """Bulk-build an index (e.g. at start-up) from already encoded offers.

        Args:
            supply: n offers.
            ids: (n,) unique offer ids.
            institution_ids: (n,) offering institution ids.
            n_languages: Size of the language vocabulary.
            valid_until: (n,) expiry as POSIX seconds, inf for none; None = no expiry.
            prefilter: When the compressed first pass is used; its codes are built here when n
                reaches the threshold.

        Returns:
            An index holding the n offers in the given order.
        """
        supply.validate()
        n = len(supply)
        if len(set(np.asarray(ids).tolist())) != n:
            raise ValueError("offer ids must be unique")
        dim, width = supply.embedding.shape[1], supply.sectors.shape[1]
        index = cls(dim=dim, n_languages=n_languages, sector_width=width, capacity=n, prefilter=prefilter)
        columns = {
            "ids": ids,
            "institution_ids": institution_ids,
            "valid_until": np.inf if valid_until is None else valid_until,
        }
        for name in index._rows.keys() - SKETCH_COLUMNS:
            index._rows[name][:n] = columns[name] if name in columns else getattr(supply, name)
        index._slots_by_column[:, :n] = SLOTS[supply.modalities].T
        index._width_counts += np.bincount(POPCOUNT[supply.modalities], minlength=N_MODALITIES + 1)
        index._position = dict(zip(np.asarray(ids).tolist(), range(n), strict=True))
        index._size = n
        if n >= index.prefilter.threshold:
            index.build_sketch()
        return index

    def build_sketch(self, *, seed: int = 0) -> None:
        """Fit the first pass's projection on a sample of the live rows and encode every row.

        Called by ``from_supply`` and by the first search above the threshold; later upserts are
        encoded as they come (a drifting catalogue only loosens the error bound, never breaks it).

        Args:
            seed: Seed of the row sample.
        """
        n, embeddings = self._size, self._rows["embedding"]
        if n == 0:
            return
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(n, size=min(n, self.prefilter.sample), replace=False))
        self._sketch = SemanticSketch.fit(embeddings[sample], self.prefilter.dims)
        for start in range(0, n, 32_768):
            stop = min(n, start + 32_768)
            codes, terms = self._sketch.encode(embeddings[start:stop])
            self._rows["sketch_codes"][start:stop] = codes
            self._rows["sketch_terms"][start:stop] = terms
            codes, terms = quantise_rows(embeddings[start:stop])
            self._rows["refine_codes"][start:stop] = codes
            self._rows["refine_terms"][start:stop] = terms
        self._slack_max = self._rows["sketch_terms"][:n].max(axis=0)

    def save(
        self,
        path: str | os.PathLike[str],
        metadata: dict[str, Any] | None = None,
        extras: dict[str, NDArray[Any]] | None = None,
    ) -> None:
        """Write a snapshot directory that ``load`` maps back (see ``snapshot``).

        Args:
            path: Target directory (replaced).
            metadata: JSON-serialisable dict stored with it, e.g. the catalogue generation.
            extras: Further arrays stored with it (``snapshot.load_extra`` reads them).
        """
        save_index(self, path, metadata, extras)

    @classmethod
    def load(
        cls, path: str | os.PathLike[str], *, mmap: bool = True, prefilter: PrefilterParams | None = None
    ) -> tuple[OfferIndex, dict[str, Any]]:
        """Open a snapshot written by ``save``; with ``mmap`` its columns are shared copy-on-write maps.

        Args:
            path: Snapshot directory.
            mmap: Map the files (True) or read them into private memory.
            prefilter: Override the stored first-pass parameters.

        Returns:
            The index (writable) and the metadata saved with it.
        """
        return load_index(path, mmap=mmap, prefilter=prefilter)

    def __len__(self) -> int:
        return self._size

    def __contains__(self, offer_id: object) -> bool:
        return offer_id in self._position

    def position(self, offer_id: int) -> int:
        """Current row of an offer (changes when other offers are removed); KeyError if absent."""
        return self._position[offer_id]

    @property
    def ids(self) -> NDArray[np.int64]:
        """(n,) offer ids of the live rows (a view)."""
        return self._rows["ids"][: self._size]

    @property
    def institution_ids(self) -> NDArray[np.int64]:
        """(n,) offering institution ids of the live rows (a view)."""
        return self._rows["institution_ids"][: self._size]

    @property
    def valid_until(self) -> NDArray[np.float64]:
        """(n,) expiry of the live rows as POSIX seconds, inf for none (a view)."""
        return self._rows["valid_until"][: self._size]

    def supply(self) -> SupplyArrays:
        """The live rows as ``SupplyArrays`` (zero-copy views; invalidated by the next write)."""
        n, rows = self._size, self._rows
        return SupplyArrays(
            embedding=rows["embedding"][:n],
            sectors=rows["sectors"][:n],
            country=rows["country"][:n],
            modalities=rows["modalities"][:n],
            languages=rows["languages"][:n],
            cost_usd=rows["cost_usd"][:n],
            text_language=rows["text_language"][:n],
        )

    def slots(self) -> SlotArray:
        """(n, k) offered modality indexes padded with 14 (``offered_slots`` of the live rows)."""
        width = max(1, int(np.flatnonzero(self._width_counts)[-1:].max(initial=0)))
        return self._slots_by_column[:width, : self._size].T

    def upsert(self, record: OfferRecord) -> None:
        """Add an offer, or replace it if its id is already indexed.

        Raises:
            ValueError: The record is malformed (embedding shape, no modality, negative cost, codes);
                the index is then unchanged.
        """
        embedding = np.asarray(record.embedding, dtype=np.float32)
        if embedding.shape != (self.dim,) or not np.all(np.isfinite(embedding)):
            raise ValueError(f"embedding must be {self.dim} finite floats")
        mask = modality_mask(record.modalities)
        cost = np.nan if record.cost_usd is None else float(record.cost_usd)
        if mask == 0 or cost < 0 or min(record.sectors, default=0) < 0:
            raise ValueError("an offer needs a modality, a cost >= 0 (or None) and sector indexes >= 0")
        languages = language_bits([record.languages], self.n_languages)[0]
        sectors = np.full(max(len(record.sectors), self._rows["sectors"].shape[1]), -1, dtype=np.intp)
        sectors[: len(record.sectors)] = record.sectors
        row = self._position.get(record.offer_id)
        if row is None:
            row = self._size
            if row == len(self._rows["ids"]):
                self._grow(2 * row)
            self._size += 1
            self._position[record.offer_id] = row
        else:
            self._width_counts[POPCOUNT[self._rows["modalities"][row]]] -= 1
        if len(sectors) > self._rows["sectors"].shape[1]:
            self._spec["sectors"] = (np.intp, -1, (len(sectors),))
            self._grow(len(self._rows["ids"]))
        values = {"embedding": embedding, "sectors": sectors, "country": record.country, "modalities": mask,
                  "languages": languages, "cost_usd": cost, "text_language": record.text_language,
                  "ids": record.offer_id,
                  "institution_ids": record.institution_id, "valid_until": record.valid_until}  # fmt: skip
        if self._sketch is not None:
            codes, terms = self._sketch.encode(embedding[None, :])
            values |= {"sketch_codes": codes[0], "sketch_terms": terms[0]}
            np.maximum(self._slack_max, terms[0], out=self._slack_max)  # removals keep it an upper bound
            codes, refine = quantise_rows(embedding[None, :])
            values |= {"refine_codes": codes[0], "refine_terms": refine[0]}
        for name, value in values.items():
            self._rows[name][row] = value
        self._dirty[row] = True
        self._slots_by_column[:, row] = SLOTS[mask]
        self._width_counts[POPCOUNT[mask]] += 1

    def remove(self, offer_id: int) -> None:
        """Remove an offer; the last row moves into its place.

        Raises:
            KeyError: The offer is not indexed.
        """
        row = self._position.pop(offer_id)
        last = self._size - 1
        self._width_counts[POPCOUNT[self._rows["modalities"][row]]] -= 1
        if row != last:
            for array in self._rows.values():
                array[row] = array[last]
            self._slots_by_column[:, row] = self._slots_by_column[:, last]
            self._position[int(self._rows["ids"][row])] = row
            self._dirty[row] = True
        self._size = last

    def search(
        self,
        demand: DemandArrays,
        tables: MatchTables,
        *,
        weights: Weights | None = None,
        params: FactorParams | None = None,
        cost_params: CostParams | None = None,
        eligible: NDArray[np.bool_] | None = None,
        limit: int = 10,
        per_institution: int | None = 2,
        approximate: bool | None = None,
        track_records: TrackRecordTable | None = None,
        track_params: TrackRecordParams | None = None,
    ) -> SearchResult:
        """Rank the indexed offers for one request.

        Below ``prefilter.threshold`` live rows every offer is scored; from it, a compressed first
        pass picks a pool that is scored exactly (see ``prefilter``), grown while its bound fails.

        Args:
            demand: One request (1 row).
            tables: Lookup tables.
            weights: Factor weights.
            params: Levels of the non-cost factors.
            cost_params: Cost constants.
            eligible: (n,) bool hard filter aligned with the rows (see ``ids``); None = all.
            limit: Maximum number of matches.
            per_institution: Maximum matches per offering institution; None = no cap.
            approximate: Force the first pass on (True) or off (False); None = by catalogue size.
            track_records: The providers' records (by institution id); None = nobody has one.
            track_params: Shrinkage of the track-record factor.

        Returns:
            The scores of the offers scored, the ranked positions among them and the ranked matches.
        """
        weights, params = weights or Weights(), params or FactorParams()
        track = _Track(track_records, track_params or TrackRecordParams())
        score = _Scorer(
            self, demand, tables, weights, params, cost_params, limit, per_institution, eligible, track
        )
        n = self._size

        def every_eligible_row() -> NDArray[np.intp]:
            return np.arange(n, dtype=np.intp) if eligible is None else np.flatnonzero(eligible)

        use_pool = n >= self.prefilter.threshold if approximate is None else approximate
        if approximate is False or limit <= 0 or n == 0:
            return score(np.arange(n, dtype=np.intp), certified=True)
        if not use_pool:
            return score.ceilinged()
        eligible_rows = n if eligible is None else int(np.count_nonzero(eligible))
        size, max_pool = self.prefilter.pool_sizes(eligible_rows, limit)
        if self._sketch is None:
            self.build_sketch()
        assert self._sketch is not None
        if eligible_rows <= size:  # a restrictive filter: scoring the few eligible rows is cheaper
            return score.refined(every_eligible_row(), certified=True)
        # The scan covers the eligible rows only: all of them (masked after) unless a filter keeps few,
        # where gathering their 64-byte codes costs less than scanning every row.
        candidates = None if eligible_rows > n // 4 else every_eligible_row()
        codes, terms = self._rows["sketch_codes"][:n], self._rows["sketch_terms"][:n, 0]
        if candidates is not None:
            codes, terms = codes[candidates], terms[candidates]
        cosines, a, b, r = approximate_cosines(self._sketch, codes, terms, demand.embedding[0])
        if candidates is None and eligible is not None:
            cosines = np.where(eligible, cosines, -np.inf)
        slack = float(np.dot([a, b, r], self._slack_max)) + ROUNDING_SLACK
        w = weights.normalised()
        while True:
            top = _best(cosines, size)
            rows = top if candidates is None else candidates[top]
            if candidates is None and eligible is not None:
                rows = rows[cosines[top] > -np.inf]
            result = score.refined(rows, certified=len(rows) == eligible_rows)
            if result.certified:
                return result
            if len(result.positions) == limit:
                kth = float(result.scored.scores[result.positions[-1]])
                best_left_out = float(cosines[top].min()) + slack  # every row left out is below it
                bound = score_upper_bound(np.array([best_left_out]), w, params, track.params.prior)
                if bound[0] < kth - 1e-12:
                    return score.certify(result)
            if size >= max_pool:
                break
            size = min(4 * size, max_pool)
        if self.prefilter.exact_when_unproven:
            return score(every_eligible_row(), certified=True)
        return result

    def _grow(self, capacity: int) -> None:
        """Reallocate every array to ``capacity`` rows (and the current sector width), keeping live rows."""
        n = self._size
        for name, (dtype, fill, shape) in self._spec.items():
            old = self._rows.get(name)
            if old is not None and old.shape == (capacity, *shape):
                continue
            new = np.full((capacity, *shape), fill, dtype=dtype)
            if old is not None and old.ndim == 1:
                new[:n] = old[:n]
            elif old is not None:
                new[:n, : old.shape[1]] = old[:n]
            self._rows[name] = new
        if self._slots_by_column.shape[1] != capacity:
            slots = np.full((N_MODALITIES, capacity), N_MODALITIES, dtype=np.intp)
            slots[:, :n] = self._slots_by_column[:, :n]
            self._slots_by_column = slots
        if len(self._dirty) != capacity:
            dirty = np.zeros(capacity, dtype=np.bool_)
            dirty[: min(n, len(self._dirty))] = self._dirty[:n]
            self._dirty = dirty
        if self._embedding_file is not None and not np.shares_memory(
            self._rows["embedding"][:1], self._embedding_file.mapped[:1]
        ):  # the embeddings were copied into new memory: every row is read from there
            self._embedding_file = None

    def embeddings_of(self, rows: NDArray[np.intp]) -> NDArray[np.float32]:
        """The float32 embeddings of some rows (a copy): read from the snapshot file for rows not
        written since it was loaded, so scoring a few rows does not map the whole matrix in.

        Args:
            rows: (m,) ascending live rows.

        Returns:
            (m, dim) float32 embeddings.
        """
        mapped = self._rows["embedding"]
        if self._embedding_file is None:
            return mapped[rows]
        out = self._embedding_file.read(rows)
        written = self._dirty[rows]
        if written.any():
            out[written] = mapped[rows[written]]
        return out


@dataclass(frozen=True)
class _Track:
    table: TrackRecordTable | None
    params: TrackRecordParams


class _Scorer:
    """Exact scoring and ranking of a subset of an index's rows for one request."""

    def __init__(
        self,
        index: OfferIndex,
        demand: DemandArrays,
        tables: MatchTables,
        weights: Weights,
        params: FactorParams,
        cost_params: CostParams | None,
        limit: int,
        per_institution: int | None,
        eligible: NDArray[np.bool_] | None,
        track: _Track,
    ) -> None:
        self.index, self.demand, self.tables = index, demand, tables
        self.weights, self.params, self.cost_params = weights, params, cost_params
        self.limit, self.per_institution, self.eligible = limit, per_institution, eligible
        self.track = track
        self.topic = topic_groups(demand.sectors, tables.sectors)

    def __call__(
        self, rows: NDArray[np.intp], certified: bool, cosine: NDArray[np.float64] | None = None
    ) -> SearchResult:
        """Score ``rows`` (ascending index rows) exactly and rank them; a strict subset of the rows
        is eligible by construction, all n rows are filtered by the caller's mask. ``cosine``: the
        rows' cosines when already computed."""
        index, n = self.index, len(self.index)
        whole = len(rows) == n
        supply = index.supply() if whole else _take(index.supply(), rows, index.embeddings_of(rows))
        slots = index.slots() if whole else index.slots()[rows]
        institution_ids = index.institution_ids if whole else index.institution_ids[rows]
        records = self.records_of(institution_ids)
        scored = score_pairs(
            self.demand,
            supply,
            self.tables,
            self.weights,
            self.params,
            self.cost_params,
            slots=slots,
            records=records,
            track_params=self.track.params,
            cosine=cosine,
        )
        ids = index.ids if whole else index.ids[rows]
        positions = rank(
            scored.scores,
            ids=ids,
            institution_ids=institution_ids,
            eligible=self.eligible if whole else None,
            limit=self.limit,
            per_institution=self.per_institution,
        )
        matches = ranked_matches(scored, positions, ids)
        return SearchResult(scored, positions, matches, rows, supply, certified)

    def ceilinged(self) -> SearchResult:
        """The exact ranking of every eligible row, scoring exactly only the rows that can reach it.

        Every row's cosine is computed (one matrix-vector product), and with it a ceiling of its
        score from the cheap factors (``score_ceiling``: all but modality and cost exact); then
        ``proven`` scores the rows with the highest ceilings.
        """
        index, n, q = self.index, len(self.index), self.demand.embedding[0]
        rows = np.arange(n, dtype=np.intp) if self.eligible is None else np.flatnonzero(self.eligible)
        if len(rows) <= max(index.prefilter.ceiling_pool, 16 * self.limit):
            return self(rows, certified=True)
        if self.eligible is None or len(rows) > n // 4:  # every row, the ineligible ones masked
            supply, candidates = index.supply(), np.arange(n, dtype=np.intp)
        else:  # a restrictive filter: the eligible rows only
            supply, candidates = _take(index.supply(), rows, index.embeddings_of(rows)), rows
        cosine = np.asarray(supply.embedding @ q, dtype=np.float64)  # BLAS, as a bare semantic top-k
        ceiling = self.ceilings(supply, cosine)
        if len(candidates) == n and self.eligible is not None:
            ceiling[~self.eligible] = -np.inf
        return self.proven(candidates, ceiling, cosine, certified=True)

    def ceilings(self, supply: SupplyArrays, cosine: NDArray[np.float64]) -> NDArray[np.float64]:
        """Upper bounds of the scores of ``supply``'s rows at (upper bounds of) their cosines."""
        has_records = self.track.table is not None and len(self.track.table) > 0
        return score_ceiling(
            self.demand, supply, self.tables, self.weights, self.params, cosine=cosine,
            track_neutral=self.track.params.prior if has_records else None,
        )  # fmt: skip

    def proven(
        self,
        rows: NDArray[np.intp],
        ceiling: NDArray[np.float64],
        cosine: NDArray[np.float64] | None,
        certified: bool,
    ) -> SearchResult:
        """The exact ranking of ``rows`` (ascending; a ceiling of -inf marks an ineligible row).

        The ``prefilter.ceiling_pool`` rows with the highest ceilings are scored exactly. When the
        k-th score of their capped list is above every ceiling left out, no row left out can enter
        or change the list (the capped top-k is a greedy pick over a matroid), so it is the exact
        list of ``rows``. Otherwise the k-th score of the list of every row is at least that one,
        so scoring the rows whose ceiling reaches it gives the exact list. (A pool whose caps leave
        its list short grows 4x, up to every row.)

        Args:
            rows: Index rows.
            ceiling: Upper bounds of their scores.
            cosine: Their exact cosines, or None to compute them from the embeddings.
            certified: Whether the exact list of ``rows`` is the exact list of the catalogue.
        """
        size = max(self.index.prefilter.ceiling_pool, 16 * self.limit)
        while size < len(rows):
            top = _best(ceiling, size)
            top = top[ceiling[top] > -np.inf]
            result = self(rows[top], False, None if cosine is None else cosine[top])
            if len(result.positions) == self.limit:  # else too few institutions: a larger pool
                kth = float(result.scored.scores[result.positions[-1]]) - 1e-12
                if float(ceiling[top].min()) < kth:  # the best row left out is below it
                    return self.certify(result) if certified else result
                # A larger list can only raise the k-th score: rows below this one's are out.
                reach = np.flatnonzero(ceiling >= kth)
                return self(rows[reach], certified, None if cosine is None else cosine[reach])
            size *= 4
        keep = ceiling > -np.inf
        every = bool(keep.all())
        kept = cosine if every or cosine is None else cosine[keep]
        return self(rows if every else rows[keep], certified, kept)

    def refined(self, rows: NDArray[np.intp], certified: bool) -> SearchResult:
        """The exact ranking of ``rows`` (ascending, eligible), reading float32 embeddings only
        for the rows that can reach it.

        Each row's cosine is bounded from its full-dimension int8 code (``refined_cosines``), and
        its score by the ceiling at the upper end (``ceilings``); ``proven`` then scores exactly,
        from float32 embeddings, only the rows whose ceilings reach the list.
        """
        index = self.index
        codes, terms = index._rows["refine_codes"][rows], index._rows["refine_terms"][rows]
        cosines, errors = refined_cosines(codes, terms, self.demand.embedding[0])
        meta = _take(index.supply(), rows, np.zeros((len(rows), 0), dtype=np.float32))
        return self.proven(rows, self.ceilings(meta, cosines + errors), None, certified)

    def records_of(self, institution_ids: NDArray[np.int64]) -> PairRecords | None:
        """The providers' records for these offers' institutions; None when nobody has one."""
        if self.track.table is None or not len(self.track.table):
            return None
        return pair_records(self.track.table, institution_ids, self.topic)

    @staticmethod
    def certify(result: SearchResult) -> SearchResult:
        """The same result, marked as provably exact."""
        return SearchResult(result.scored, result.positions, result.matches, result.rows, result.supply, True)


def _best(values: NDArray[np.floating], size: int) -> NDArray[np.intp]:
    """Ascending positions of the ``size`` largest values (all of them when there are fewer)."""
    m = len(values)
    if m <= size:
        return np.arange(m, dtype=np.intp)
    top = _at_least_top(values, size)  # type: ignore[arg-type]  # float32 is fine
    if len(top) > size:  # the sampled threshold admits a few times more: keep the best
        top = top[np.argpartition(values[top], len(top) - size)[len(top) - size :]]
    return np.sort(top)


def _take(supply: SupplyArrays, rows: NDArray[np.intp], embedding: NDArray[np.float32]) -> SupplyArrays:
    """The given rows of every supply array (copies), with their embeddings read by the caller."""
    return SupplyArrays(
        embedding=embedding,
        sectors=supply.sectors[rows],
        country=supply.country[rows],
        modalities=supply.modalities[rows],
        languages=supply.languages[rows],
        cost_usd=supply.cost_usd[rows],
        text_language=supply.text_language[rows],
    )
