"""The demo corpus in data/demo: load it into an empty database, or reset it."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from broker.config import REPO_ROOT
from broker.models import Institution, KnowledgeRequest, Match, MatchReview, Offer
from broker.ranking.embedding import Encoder
from broker.ranking.engine import MatchEngine
from broker.schemas.bulk import ImportReport
from broker.services import gaps
from broker.services.bulk.formats import KINDS, Format, RawRecord, parse
from broker.services.bulk.imports import Progress, import_records
from broker.services.principal import Principal

DEMO_DIR = REPO_ROOT / "data" / "demo"


def demo_records(directory: Path = DEMO_DIR) -> list[RawRecord]:
    bundle = {kind: json.loads((directory / f"{kind}.json").read_text(encoding="utf-8")) for kind in KINDS}
    return parse(json.dumps(bundle), Format.json, None)


def has_data(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(Institution.id.is_not(None)))))


def load_demo(
    session: Session, *, principal: Principal, encoder: Encoder, progress: Progress | None = None
) -> ImportReport:
    """Import the demo corpus (idempotent: a second load changes nothing)."""
    return import_records(
        session, principal=principal, records=demo_records(), encoder=encoder, progress=progress
    )


def rank_open_requests(session: Session, *, engine: MatchEngine, principal: Principal) -> int:
    """Rank (and store the matches of) every open request never ranked, so that the workspace's first
    view shows ranked lists, fits and gaps rather than empty pages.

    Returns:
        How many requests were ranked.
    """
    total = 0
    while True:
        ranked = gaps.rank_unranked(session, engine=engine, principal=principal)
        total += ranked
        if ranked < gaps.RANK_BATCH:  # a request with no candidate at all stays unranked: stop
            return total


def remove_demo(session: Session) -> None:
    """Delete the demo records, their matches and those matches' reviews."""
    records = demo_records()
    ids = {kind: [r.values["external_id"] for r in records if r.kind == kind] for kind in KINDS}
    offers = select(Offer.id).where(Offer.external_id.in_(ids["offers"]))
    requests = select(KnowledgeRequest.id).where(KnowledgeRequest.external_id.in_(ids["requests"]))
    matches = select(Match.id).where(Match.offer_id.in_(offers) | Match.request_id.in_(requests))
    session.execute(delete(MatchReview).where(MatchReview.match_id.in_(matches)))
    session.execute(delete(Match).where(Match.id.in_(matches)))
    session.execute(delete(Offer).where(Offer.external_id.in_(ids["offers"])))
    session.execute(delete(KnowledgeRequest).where(KnowledgeRequest.external_id.in_(ids["requests"])))
    in_use = select(Offer.institution_id).union(select(KnowledgeRequest.institution_id))
    session.execute(
        delete(Institution).where(
            Institution.external_id.in_(ids["institutions"]), Institution.id.not_in(in_use)
        )
    )
