"""Code suggestions from free text: DAC sectors, SDGs (and targets), modalities, outcomes.

Institutions that cannot name codes still describe their problem. A text's embedding is scored
against two things that are embedded once per model and kept in memory (and in the embedding
table, through ``ensure_vectors``):

- the reference description of every code (data/reference), and
- the labelled pool: the demo corpus in data/demo, whose codes were given by its authors. Stored
  records are *not* added: nothing marks their codes as author-given rather than accepted
  suggestions, and learning from our own suggestions would only reinforce them.

``broker.matching.labels`` blends the two and calibrates the blend into a probability that a code
is among the author's codes; ``broker eval-suggest`` measures it (accuracy per language and the
precision of confident suggestions) and chose the method and ``CONFIDENT``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from broker.matching.labels import ALPHA, Calibrator, Temperatures, cosine_std, fit_calibrator, raw_scores
from broker.ranking.embedding import Encoder
from broker.ranking.embedding.seed import seed_vectors
from broker.ranking.embedding.store import ensure_vectors, stored_vectors
from broker.ranking.embedding.text import embedding_text, text_hash
from broker.services.suggestion_texts import BACKGROUND, LabelledRecord, demo_pool, reference_texts

# LabelledRecord and demo_pool are re-exported: callers build pools from the demo corpus
__all__ = [
    "CONFIDENT",
    "MAX_PER_KIND",
    "MIN_CONFIDENCE",
    "CodeSuggester",
    "LabelledRecord",
    "References",
    "Suggested",
    "Suggestions",
    "demo_pool",
]

# Chosen with `broker eval-suggest` (e5 alone and the default e5+USE ensemble): confidences are
# calibrated (each bucket's mean confidence is within a few points of its precision), and at or
# above 0.6 about four in five sector suggestions are among the author's codes in English, Spanish,
# French and Portuguese, while none of the off-topic test texts reaches it.
CONFIDENT = 0.6
MIN_CONFIDENCE = 0.05  # below this a code is not suggested at all
MAX_PER_KIND = 5
KINDS = ("sectors", "sdgs", "modalities", "outcomes")
Vector = NDArray[np.float32]


@dataclass(frozen=True)
class Suggested:
    code: str
    name: str
    confidence: float


@dataclass(frozen=True)
class Suggestions:
    """Suggested codes per kind, best first, each with a calibrated confidence in [0, 1]."""

    sectors: list[Suggested] = field(default_factory=list)
    sdgs: list[Suggested] = field(default_factory=list)
    sdg_targets: list[Suggested] = field(default_factory=list)
    modalities: list[Suggested] = field(default_factory=list)
    outcomes: list[Suggested] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[dict[str, Any]]]:
        """JSON-able: ``{kind: [{"code", "name", "confidence"}, ...]}``."""
        return {
            kind: [{"code": s.code, "name": s.name, "confidence": s.confidence} for s in getattr(self, kind)]
            for kind in ("sectors", "sdgs", "sdg_targets", "modalities", "outcomes")
        }

    def confident(self, kind: str) -> list[str]:
        """Codes of ``kind`` ("sectors", "sdgs", ...) at or above ``CONFIDENT``."""
        return [s.code for s in getattr(self, kind) if s.confidence >= CONFIDENT]

    def confident_sectors(self) -> list[str]:
        return self.confident("sectors")

    def confident_sdgs(self) -> list[int]:
        return [int(code) for code in self.confident("sdgs")]

    def confident_modalities(self) -> list[str]:
        return self.confident("modalities")

    def confident_outcomes(self) -> list[str]:
        return self.confident("outcomes")


@dataclass(frozen=True)
class CodeList:
    """One kind of code with its reference texts' embeddings."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    vectors: Vector  # (n codes, dim): name and description, for scoring texts
    name_vectors: Vector  # (n codes, dim): the name alone, for matching short search queries


@dataclass(frozen=True)
class References:
    """Every code list's reference embeddings, the SDG targets, and the background texts."""

    lists: dict[str, CodeList]
    targets: CodeList  # codes like "3.3"
    target_goals: tuple[str, ...]  # the goal of each target
    background: Vector  # (b, dim)
    temperatures: Temperatures  # scaled to how this encoder spreads its cosines


@dataclass(frozen=True)
class KindModel:
    """The labelled pool of one kind (records that carry at least one code of it) and its calibrator."""

    vectors: Vector  # (n, dim)
    labels: NDArray[np.bool_]  # (n, codes of the kind)
    calibrator: Calibrator


def _vectors(session: Session, encoder: Encoder, texts: Sequence[str], *, store: bool) -> list[Vector]:
    """Embeddings from the table; missing ones are computed, and stored only if ``store``."""
    if store:
        return ensure_vectors(session, encoder=encoder, texts=texts)
    hashes = [text_hash(text, encoder.model_id) for text in texts]
    seeded = seed_vectors(encoder.model_id)
    found = {h: seeded[h] for h in hashes if h in seeded}
    found |= stored_vectors(session, model_id=encoder.model_id, hashes=[h for h in hashes if h not in found])
    missing = [i for i, digest in enumerate(hashes) if digest not in found]
    for i, vector in zip(missing, encoder.encode([texts[i] for i in missing]), strict=True):
        found[hashes[i]] = np.asarray(vector, dtype=np.float32)
    return [found[digest] for digest in hashes]


def build_references(session: Session, encoder: Encoder, *, store: bool = True) -> References:
    texts = reference_texts()
    described = [text for _, _, group in texts.values() for text in group]
    names = [name for _, group, _ in texts.values() for name in group]
    flat = [*described, *names, *BACKGROUND]
    vectors = np.stack(_vectors(session, encoder, flat, store=store)).astype(np.float32)
    by_text, by_name, background = np.split(vectors, [len(described), 2 * len(described)])
    lists, start = {}, 0
    for kind, (codes, shown, _) in texts.items():
        end = start + len(codes)
        lists[kind] = CodeList(tuple(codes), tuple(shown), by_text[start:end], by_name[start:end])
        start = end
    targets = lists.pop("sdg_targets")
    goals = tuple(code.split(".")[0] for code in targets.codes)
    spread = max(cosine_std(lists["sectors"].vectors), 1e-3)
    return References(lists, targets, goals, background, Temperatures.for_std(spread))


def build_models(
    session: Session,
    encoder: Encoder,
    refs: References,
    pool: Sequence[LabelledRecord],
    *,
    alpha: float,
    temperatures: Temperatures,
    store: bool,
) -> dict[str, KindModel]:
    pool_vectors = _vectors(session, encoder, [r.text for r in pool], store=store)
    models = {}
    for kind in KINDS:
        index = {code: i for i, code in enumerate(refs.lists[kind].codes)}
        rows = [
            (v, r.codes.get(kind, ())) for v, r in zip(pool_vectors, pool, strict=True) if r.codes.get(kind)
        ]
        labels = np.zeros((len(rows), len(index)), dtype=bool)
        for i, (_, codes) in enumerate(rows):
            labels[i, [index[c] for c in codes if c in index]] = True
        vectors = np.stack([v for v, _ in rows]) if rows else np.zeros((0, encoder.dim), dtype=np.float32)
        loo = raw_scores(
            vectors,
            pool=vectors,
            labels=labels,
            refs=refs.lists[kind].vectors,
            background=refs.background,
            alpha=alpha,
            temperatures=temperatures,
            exclude_self=True,
        )
        models[kind] = KindModel(vectors, labels, fit_calibrator(loo, labels))
    return models


_lock = threading.Lock()
_references: dict[str, References] = {}  # model_id -> reference embeddings, shared by all suggesters
_demo_models: dict[tuple[str, float], dict[str, KindModel]] = {}  # (model_id, alpha), demo pool only


class CodeSuggester:
    """Suggests codes for texts embedded by ``encoder``; thread-safe.

    With the default (demo) pool the index is built once per process and model and shared by every
    instance; a custom pool (evaluation folds, tests) gets its own.
    """

    def __init__(
        self, encoder: Encoder, *, pool: Sequence[LabelledRecord] | None = None, alpha: float = ALPHA
    ) -> None:
        """Args:
        encoder: The encoder whose embeddings ``suggest`` receives.
        pool: Labelled records to learn from (default: the demo corpus); may be empty.
        alpha: Weight of the labelled neighbours against the reference texts, in [0, 1].
        """
        self.encoder = encoder
        self.pool = tuple(demo_pool() if pool is None else pool)
        self._shared = (encoder.model_id, alpha) if pool is None else None
        self.alpha = alpha
        self._lock = threading.Lock()
        self._models: dict[str, KindModel] | None = None

    def references(self, session: Session, *, store: bool = True) -> References:
        """The reference embeddings of every code list (built on first use; ``store=False`` on a GET)."""
        with _lock:
            found = _references.get(self.encoder.model_id)
            if found is None:
                found = _references[self.encoder.model_id] = build_references(
                    session, self.encoder, store=store
                )
            return found

    def prepare(self, session: Session, *, store: bool = True) -> None:
        """Embed the reference texts and the labelled pool and fit the calibrators; once per instance.

        Args:
            session: Where embeddings are looked up (and stored, unless ``store`` is False: a GET).
            store: Store embeddings that were missing, so that the next process finds them.
        """
        if self._models is not None:
            return
        refs = self.references(session, store=store)
        with self._lock:
            if self._models is not None:
                return
            models = _demo_models.get(self._shared) if self._shared else None
            if models is None:
                models = build_models(
                    session,
                    self.encoder,
                    refs,
                    self.pool,
                    alpha=self.alpha,
                    temperatures=refs.temperatures,
                    store=store,
                )
            if self._shared:
                _demo_models.setdefault(self._shared, models)
            self._models = models

    @property
    def prepared(self) -> bool:
        return self._models is not None

    def scores(self, kind: str, vectors: Vector) -> NDArray[np.float64]:
        """Calibrated confidences of every code of ``kind`` for each row of ``vectors`` (m, dim)."""
        models = self._models
        if models is None:
            raise RuntimeError("CodeSuggester.prepare(session) must be called first")
        refs = _references[self.encoder.model_id]
        model = models[kind]
        raw = raw_scores(
            vectors,
            pool=model.vectors,
            labels=model.labels,
            refs=refs.lists[kind].vectors,
            background=refs.background,
            alpha=self.alpha,
            temperatures=refs.temperatures,
        )
        return model.calibrator(raw)

    def suggest(self, vector: Vector) -> Suggestions:
        """Suggestions for one embedding of ``embedding_text(title, description)`` (shape (dim,))."""
        refs = _references.get(self.encoder.model_id)
        if refs is None or self._models is None:
            raise RuntimeError("CodeSuggester.prepare(session) must be called first")
        query = np.asarray(vector, dtype=np.float32)[None, :]
        found = {kind: _best(refs.lists[kind], self.scores(kind, query)[0]) for kind in KINDS}
        targets = _targets(refs, query[0], found["sdgs"], tau=refs.temperatures.proto)
        return Suggestions(sdg_targets=targets, **found)

    def suggest_text(self, session: Session, *, title: str, description: str) -> Suggestions:
        """Embed a title and description (stored like any record's text), then suggest."""
        self.prepare(session)
        (vector,) = ensure_vectors(session, encoder=self.encoder, texts=[embedding_text(title, description)])
        return self.suggest(vector)


def _best(codes: CodeList, confidence: NDArray[np.float64]) -> list[Suggested]:
    order = sorted(range(len(codes.codes)), key=lambda i: (-confidence[i], codes.codes[i]))
    return [
        Suggested(codes.codes[i], codes.names[i], round(float(confidence[i]), 4))
        for i in order[:MAX_PER_KIND]
        if confidence[i] >= MIN_CONFIDENCE
    ]


def _targets(refs: References, vector: Vector, goals: list[Suggested], *, tau: float) -> list[Suggested]:
    """Targets of the suggested goals: the goal's confidence shared out by a softmax over its targets.

    There are no author-given targets to calibrate on, so a target is never more confident than its
    goal and is confident only when one target clearly dominates a confident goal.
    """
    found = []
    for goal in goals:
        rows = [i for i, g in enumerate(refs.target_goals) if g == goal.code]
        logits = refs.targets.vectors[rows].astype(np.float64) @ vector.astype(np.float64) / tau
        shares = np.exp(logits - logits.max())
        shares /= shares.sum()
        found += [
            Suggested(refs.targets.codes[i], refs.targets.names[i], round(goal.confidence * float(s), 4))
            for i, s in zip(rows, shares, strict=True)
        ]
    found.sort(key=lambda s: (-s.confidence, s.code))
    return [s for s in found if s.confidence >= MIN_CONFIDENCE][:MAX_PER_KIND]
