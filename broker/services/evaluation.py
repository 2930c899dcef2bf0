"""`broker eval`: ranking quality on the labelled dev set, against two baselines, with an ablation.

The dev set (data/eval/dev.json) names demo requests and offers by external id, so the database
must hold the demo corpus (``broker demo load``). Every method sees the same hard filters:
published offers only, never the requesting institution's own, nothing expired.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.config import REPO_ROOT
from broker.errors import InvalidInput
from broker.evaluation.metrics import summarise
from broker.matching import FACTORS, Weights
from broker.models import Institution, KnowledgeRequest, Offer, OfferStatus
from broker.services import embeddings
from broker.services.codebook import demand_row, end_of_day
from broker.services.engine import MatchEngine

DEV_SET = REPO_ROOT / "data" / "eval" / "dev.json"
DEPTH = 100  # ranks looked at for MRR
Run = tuple[list[int], dict[int, int]]


@dataclass
class Judged:
    request: KnowledgeRequest
    institution: Institution
    grades: dict[int, int]


@dataclass
class EvalReport:
    requests: int
    profile: dict[str, float]
    methods: dict[str, dict[str, float]] = field(default_factory=dict)
    ablation: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "profile": self.profile,
            "methods": self.methods,
            "ablation": self.ablation,
            "seconds": round(self.seconds, 1),
        }


def load_judgements(session: Session, path: Path = DEV_SET) -> list[Judged]:
    data = json.loads(path.read_text(encoding="utf-8"))["judgements"]
    requests = {
        r.external_id: r
        for r in session.scalars(
            select(KnowledgeRequest).where(KnowledgeRequest.external_id.in_([j["request"] for j in data]))
        )
    }
    wanted = {o for j in data for o in j["relevant"]}
    offers = dict(
        session.execute(select(Offer.external_id, Offer.id).where(Offer.external_id.in_(wanted))).all()
    )
    missing = len(data) - len(requests) + len(wanted) - len(offers)
    if missing:
        raise InvalidInput(
            f"{missing} records of the dev set are not in this database; run `broker demo load` first"
        )
    judged = []
    for j in data:
        request = requests[j["request"]]
        grades = {offers[ext]: int(grade) for ext, grade in j["relevant"].items()}
        judged.append(Judged(request, session.get_one(Institution, request.institution_id), grades))
    return judged


def evaluate(
    session: Session, *, engine: MatchEngine, weights: dict[str, float], path: Path = DEV_SET
) -> EvalReport:
    """Metrics of the full score, of TF-IDF and embedding-cosine baselines, and with each factor removed."""
    started = time.perf_counter()
    judged = load_judgements(session, path)
    engine.sync(session)
    vectors = embeddings.embed_items(session, encoder=engine.encoder, items=[j.request for j in judged])
    report = EvalReport(requests=len(judged), profile=dict(weights))

    def ranked(w: dict[str, float], per_institution: int | None) -> list[Run]:
        return [run_engine(engine, j, v, w, per_institution) for j, v in zip(judged, vectors, strict=True)]

    report.methods["full score"] = summarise(ranked(weights, 2))
    report.methods["tf-idf cosine"] = summarise(tfidf_runs(session, judged))
    semantic_only = {name: float(name == "semantic") for name in FACTORS}
    report.methods["embedding cosine"] = summarise(ranked(semantic_only, None))
    for factor in FACTORS:
        without = {name: (0.0 if name == factor else w) for name, w in weights.items()}
        if sum(without.values()) > 0:
            report.ablation[f"without {factor}"] = summarise(ranked(without, 2))
    report.seconds = time.perf_counter() - started
    return report


def run_engine(
    engine: MatchEngine,
    judged: Judged,
    vector: np.ndarray,
    weights: dict[str, float],
    per_institution: int | None,
) -> Run:
    row = demand_row(engine.book, judged.request, judged.institution)
    found = engine.rank_offers(
        row,
        vector,
        weights=Weights.from_mapping(weights),
        limit=DEPTH,
        per_institution=per_institution,
        now=time.time(),
    )
    return [e.match.id for e in found], judged.grades


def tfidf_runs(session: Session, judged: list[Judged]) -> list[Run]:
    """The lexical baseline: TF-IDF cosine of title + description, under the same hard filters."""
    offers = list(
        session.scalars(select(Offer).where(Offer.status == OfferStatus.published.value).order_by(Offer.id))
    )
    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english")
    offer_matrix = vectorizer.fit_transform([embeddings.item_text(o) for o in offers])
    request_matrix = vectorizer.transform([embeddings.item_text(j.request) for j in judged])
    similarity = linear_kernel(request_matrix, offer_matrix)
    ids = np.array([o.id for o in offers])
    institutions = np.array([o.institution_id for o in offers])
    valid_until = np.array([end_of_day(o.available_until) for o in offers])
    runs = []
    for row, j in zip(similarity, judged, strict=True):
        eligible = (institutions != j.request.institution_id) & (valid_until >= time.time())
        order = np.lexsort((ids, -row))  # score desc, id asc
        runs.append(([int(ids[i]) for i in order if eligible[i]][:DEPTH], j.grades))
    return runs
