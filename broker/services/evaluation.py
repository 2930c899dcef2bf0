"""`broker eval`: ranking quality on the labelled dev sets, per language, with and without codes.

Two dev sets, both over the demo corpus's published offers (``broker demo load`` first):

- ``data/eval/dev.json``: 84 stored demo requests in English, with graded labels;
- ``data/eval/multilingual.json``: requests in Spanish, French and Portuguese written as the
  receiving institution would, with graded labels and gold codes, plus requests no offer serves
  (in all four languages). They are not stored: the evaluation builds them in memory.

Each request is ranked twice: *coded* (the author's codes) and *free text* (sectors, SDGs,
modalities and outcomes removed, so matching falls back on the codes suggested from the text).
In the free-text condition the suggester learns from a pool without any judged request, so no
request's own codes leak into its suggestions. Every method sees the same hard filters: published
offers only, never the requesting institution's own, nothing expired.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.config import REPO_ROOT
from broker.errors import InvalidInput
from broker.evaluation.metrics import summarise
from broker.matching import FACTORS, Weights
from broker.models import Institution, KnowledgeRequest, Offer, OfferStatus, RequestStatus
from broker.ranking.codebook import demand_row, end_of_day
from broker.ranking.embedding import store as embeddings
from broker.ranking.engine import MatchEngine
from broker.services.fit_calibration import FitSample, fit_report
from broker.services.profiles import profile_weights
from broker.services.suggestions import CodeSuggester, demo_pool
from broker.services.understanding import stored_suggestions

DEV_SET = REPO_ROOT / "data" / "eval" / "dev.json"
MULTILINGUAL_SET = REPO_ROOT / "data" / "eval" / "multilingual.json"
DEPTH = 100  # ranks looked at for MRR
CONDITIONS = ("coded", "free text")
CODE_FIELDS = ("sectors", "sdgs", "modalities", "desired_outcomes")
Run = tuple[list[int], dict[int, int]]


@dataclass
class Judged:
    """One evaluated request: stored (dev set) or built in memory (multilingual set)."""

    key: str
    language: str
    request: KnowledgeRequest
    institution: Institution
    grades: dict[int, int]  # offer id -> 2 (right answer) or 1 (also sound); empty: nothing serves it


@dataclass
class EvalReport:
    requests: int
    profile: dict[str, float]
    methods: dict[str, dict[str, float]] = field(default_factory=dict)  # English, coded (as before)
    ablation: dict[str, dict[str, float]] = field(default_factory=dict)
    # language -> condition -> method -> metrics
    by_language: dict[str, dict[str, dict[str, dict[str, float]]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # served requests per language
    fit: dict[str, Any] = field(default_factory=dict)
    samples: list[FitSample] = field(default_factory=list)  # the items behind ``fit``
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "profile": self.profile,
            "methods": self.methods,
            "ablation": self.ablation,
            "by_language": self.by_language,
            "counts": self.counts,
            "fit": self.fit,
            "seconds": round(self.seconds, 1),
        }


def load_judgements(session: Session, path: Path = DEV_SET) -> list[Judged]:
    """The English dev set's stored requests with their grades (by offer id)."""
    data = json.loads(path.read_text(encoding="utf-8"))["judgements"]
    requests = {
        r.external_id: r
        for r in session.scalars(
            select(KnowledgeRequest).where(KnowledgeRequest.external_id.in_([j["request"] for j in data]))
        )
    }
    offers = _offer_ids(session, {o for j in data for o in j["relevant"]})
    missing = len(data) - len(requests) + sum(o not in offers for j in data for o in j["relevant"])
    if missing:
        raise InvalidInput(
            f"{missing} records of the dev set are not in this database; run `broker demo load` first"
        )
    judged = []
    for j in data:
        request = requests[j["request"]]
        grades = {offers[ext]: int(grade) for ext, grade in j["relevant"].items()}
        institution = session.get_one(Institution, request.institution_id)
        judged.append(Judged(j["request"], "en", request, institution, grades))
    return judged


def load_multilingual(session: Session, path: Path = MULTILINGUAL_SET) -> list[Judged]:
    """The multilingual set's requests, built in memory (never added to the session)."""
    data = json.loads(path.read_text(encoding="utf-8"))["requests"]
    institutions = {
        i.external_id: i
        for i in session.scalars(
            select(Institution).where(Institution.external_id.in_({r["institution"] for r in data}))
        )
    }
    offers = _offer_ids(session, {o for r in data for o in r["relevant"]})
    missing = sum(r["institution"] not in institutions for r in data) + sum(
        o not in offers for r in data for o in r["relevant"]
    )
    if missing:
        raise InvalidInput(
            f"{missing} records of {path.name} are not in this database; run `broker demo load`"
        )
    judged = []
    for r in data:
        institution = institutions[r["institution"]]
        request = KnowledgeRequest(
            id=0,
            institution_id=institution.id,
            title=r["title"],
            description=r["description"],
            country=r["country"],
            languages=[],
            text_language=r["language"],
            text_language_detected=False,
            sectors=list(r.get("sectors") or []),
            sdgs=list(r.get("sdgs") or []),
            modalities=list(r.get("modalities") or []),
            desired_outcomes=list(r.get("desired_outcomes") or []),
            budget_usd=r.get("budget_usd"),
            participants=r.get("participants"),
            status=RequestStatus.open.value,
            suggested={},
        )
        grades = {offers[ext]: int(grade) for ext, grade in r["relevant"].items()}
        judged.append(Judged(r["id"], r["language"], request, institution, grades))
    return judged


def _offer_ids(session: Session, external_ids: set[str]) -> dict[str, int]:
    rows = session.execute(select(Offer.external_id, Offer.id).where(Offer.external_id.in_(external_ids)))
    return {ext: offer_id for ext, offer_id in rows if ext is not None}


def without_codes(request: KnowledgeRequest) -> KnowledgeRequest:
    """A transient copy of a request with every code removed (the free-text condition)."""
    copy = KnowledgeRequest(
        **{c: getattr(request, c) for c in ("id", "institution_id", "title", "description", "country")},
        languages=list(request.languages),
        text_language=request.text_language,
        text_language_detected=request.text_language_detected,
        budget_usd=request.budget_usd,
        participants=request.participants,
        timeframe_end=request.timeframe_end,
        status=request.status,
        suggested={},
    )
    for name in CODE_FIELDS:
        setattr(copy, name, [])
    return copy


def held_out_suggester(engine: MatchEngine, judged: Sequence[Judged]) -> CodeSuggester:
    """A suggester whose labelled pool holds none of the judged requests."""
    texts = {(j.request.title, j.request.description) for j in judged}
    pool = [r for r in demo_pool() if (r.title, r.description) not in texts]
    return CodeSuggester(engine.encoder, pool=pool)


def evaluate(
    session: Session,
    *,
    engine: MatchEngine,
    weights: dict[str, float],
    path: Path = DEV_SET,
    multilingual: Path | None = MULTILINGUAL_SET,
) -> EvalReport:
    """Metrics of the full score and the text-only baselines per language and condition, the
    ablation (English, coded), and the calibration of ``fit``.

    Args:
        session: A session on a database holding the demo corpus.
        engine: The match engine (its encoder embeds the requests; stored once per text).
        weights: The scoring profile's weights.
        path: The English dev set.
        multilingual: The multilingual dev set, or None for the English set alone.
    """
    started = time.perf_counter()
    weights = profile_weights(weights)
    english = load_judgements(session, path)
    judged = english + (load_multilingual(session, multilingual) if multilingual else [])
    engine.sync(session)
    vectors = embeddings.ensure_vectors(
        session, encoder=engine.encoder, texts=[embeddings.item_text(j.request) for j in judged]
    )
    suggester = held_out_suggester(engine, judged)
    suggester.prepare(session)
    suggested = [stored_suggestions(suggester.suggest(v), model_id=engine.encoder.model_id) for v in vectors]
    served = [i for i, j in enumerate(judged) if j.grades]
    report = EvalReport(requests=len(served), profile=dict(weights))
    full, semantic_only = Weights.from_mapping(weights), Weights.from_mapping({"semantic": 1.0})

    def runs(indexes: Sequence[int], w: Weights, condition: str, cap: int | None) -> list[Run]:
        return [_run(engine, judged[i], vectors[i], suggested[i], w, condition, cap)[0] for i in indexes]

    english_idx = [i for i in served if judged[i].language == "en" and judged[i].key in _keys(english)]
    report.methods["full score"] = summarise(runs(english_idx, full, "coded", 2))
    report.methods["tf-idf cosine"] = summarise(tfidf_runs(session, [judged[i] for i in english_idx]))
    report.methods["embedding cosine"] = summarise(runs(english_idx, semantic_only, "coded", None))
    for factor in FACTORS:
        without = {name: (0.0 if name == factor else w) for name, w in weights.items()}
        if sum(without.values()) > 0:
            report.ablation[f"without {factor}"] = summarise(
                runs(english_idx, Weights.from_mapping(without), "coded", 2)
            )

    samples: list[FitSample] = []
    for language in sorted({judged[i].language for i in served}):
        idx = [i for i in served if judged[i].language == language]
        report.counts[language] = len(idx)
        table: dict[str, dict[str, dict[str, float]]] = {}
        for condition in CONDITIONS:
            found = [
                _run(engine, judged[i], vectors[i], suggested[i], full, condition, 2, samples) for i in idx
            ]
            table[condition] = {"full score": summarise([run for run, _ in found])}
        table["text only"] = {
            "embedding cosine": summarise(runs(idx, semantic_only, "coded", None)),
            "tf-idf cosine": summarise(tfidf_runs(session, [judged[i] for i in idx], stop_words=None)),
        }
        report.by_language[language] = table
    for i, j in enumerate(judged):
        if not j.grades:
            for condition in CONDITIONS:
                _run(engine, j, vectors[i], suggested[i], full, condition, 2, samples)
    report.fit = fit_report(samples, engine.fit)
    report.samples = samples
    report.seconds = time.perf_counter() - started
    return report


def _keys(judged: Sequence[Judged]) -> set[str]:
    return {j.key for j in judged}


def _run(
    engine: MatchEngine,
    judged: Judged,
    vector: np.ndarray,
    suggested: dict[str, Any],
    weights: Weights,
    condition: str,
    per_institution: int | None,
    samples: list[FitSample] | None = None,
) -> tuple[Run, list[int]]:
    request = without_codes(judged.request) if condition == "free text" else judged.request
    row = demand_row(engine.book, request, judged.institution, suggested)
    found = engine.rank_offers(
        row, vector, weights=weights, limit=DEPTH, per_institution=per_institution, now=time.time()
    )
    ids = [e.match.id for e in found]
    if samples is not None:
        samples.extend(
            FitSample(
                key=judged.key,
                language=judged.language,
                condition=condition,
                served=bool(judged.grades),
                rank=e.match.rank,
                grade=judged.grades.get(e.match.id, 0),
                score=e.match.score,
                relevance=e.match.relevance,
                components=tuple(e.match.components.values()),
            )
            for e in found[:10]
        )
    return (ids, judged.grades), ids


def run_engine(
    engine: MatchEngine,
    judged: Judged,
    vector: np.ndarray,
    weights: dict[str, float],
    per_institution: int | None,
) -> Run:
    """Rank one judged request as stored (used by ``broker learn`` through ``evaluate``)."""
    run, _ = _run(
        engine,
        judged,
        vector,
        judged.request.suggested,
        Weights.from_mapping(weights),
        "coded",
        per_institution,
    )
    return run


def tfidf_runs(session: Session, judged: list[Judged], *, stop_words: str | None = "english") -> list[Run]:
    """The lexical baseline: TF-IDF cosine of title + description, under the same hard filters."""
    offers = list(
        session.scalars(select(Offer).where(Offer.status == OfferStatus.published.value).order_by(Offer.id))
    )
    if not judged or not offers:
        return []
    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words=stop_words, strip_accents="unicode")
    offer_matrix = vectorizer.fit_transform([embeddings.item_text(o) for o in offers])
    request_matrix = vectorizer.transform([embeddings.item_text(j.request) for j in judged])
    similarity = linear_kernel(request_matrix, offer_matrix)
    ids = np.array([o.id for o in offers])
    institutions = np.array([o.institution_id for o in offers])
    valid_until = np.array([end_of_day(o.available_until) for o in offers])
    result = []
    for row, j in zip(similarity, judged, strict=True):
        eligible = (institutions != j.institution.id) & (valid_until >= time.time())
        order = np.lexsort((ids, -row))  # score desc, id asc
        result.append(([int(ids[i]) for i in order if eligible[i]][:DEPTH], j.grades))
    return result
