"""`broker eval` with and without the track-record factor, on the dev set with synthetic outcomes.

The demo corpus has no exchanges, so this script records some, seeded, inside one transaction on the
configured database (which must hold the demo corpus: `broker demo load`) and rolls it back at the
end, so the database is left as it was:

- for a random half of the English dev set's requests (``random.Random(SEED)``), every offer graded
  2 (the right answer) gets ``GOOD`` completed exchanges whose receivers rate them 4 or 5 on relevance
  and usefulness and name an outcome reached;
- for the same requests, ``BAD_PER_REQUEST`` offers not graded for them (drawn from the published
  offers of other institutions) get ``GOOD`` completed exchanges rated 1 or 2, with no outcome;
- each exchange's receiver is another demo request's institution (never the provider).

The records therefore agree with the labels by construction: the comparison shows that the factor
moves rankings the right way, and by how much at its weight, when records are informative; it does
not measure the value of real records. Usage::

    PYTHONPATH=. .venv/bin/python scripts/eval_track_record.py [--weight 0.05]
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime

from sqlalchemy import select

from broker.cli.common import configured_encoder, session_scope
from broker.models import Exchange, ExchangeReport, ExchangeStatus, KnowledgeRequest, Offer, OfferStatus
from broker.ranking.engine import MatchEngine
from broker.services import evaluation, profiles

SEED = 2026
GOOD = 2
BAD_PER_REQUEST = 2
METRICS = ("hit@1", "hit@3", "mrr", "ndcg@10")


def record(session, offer: Offer, receivers: list[KnowledgeRequest], rng: random.Random, good: bool) -> int:  # type: ignore[no-untyped-def]
    """Add GOOD completed exchanges of ``offer`` with receiver reports; returns how many."""
    added = 0
    for request in rng.sample([r for r in receivers if r.institution_id != offer.institution_id], GOOD):
        exchange = Exchange(
            request_id=request.id,
            offer_id=offer.id,
            requester_institution_id=request.institution_id,
            provider_institution_id=offer.institution_id,
            status=ExchangeStatus.completed.value,
            completed_at=datetime.now(UTC),
        )
        session.add(exchange)
        session.flush()
        marks = (4, 5) if good else (1, 2)
        session.add(
            ExchangeReport(
                exchange_id=exchange.id,
                side="requester",
                institution_id=request.institution_id,
                outcomes=["knowledge_gained"] if good else [],
                relevance=rng.choice(marks),
                usefulness=rng.choice(marks),
                actor_name="synthetic outcomes (scripts/eval_track_record.py)",
            )
        )
        added += 1
    session.flush()
    return added


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--weight", type=float, default=None, help="track-record weight (default: profile's)")
    args = parser.parse_args()
    rng = random.Random(SEED)
    engine = MatchEngine(configured_encoder())
    with session_scope() as session:
        weights = profiles.profile_weights(profiles.get_profile(session, name=None).weights)
        if args.weight is not None:
            weights["track_record"] = args.weight
        judged = evaluation.load_judgements(session)
        receivers = list(session.scalars(select(KnowledgeRequest)))
        published = list(session.scalars(select(Offer).where(Offer.status == OfferStatus.published.value)))
        chosen = rng.sample(judged, len(judged) // 2)
        good = bad = 0
        for j in chosen:
            for offer_id, grade in sorted(j.grades.items()):
                if grade == 2:
                    good += record(session, session.get_one(Offer, offer_id), receivers, rng, good=True)
            others = [o for o in published if o.id not in j.grades and o.institution_id != j.institution.id]
            for offer in rng.sample(others, BAD_PER_REQUEST):
                bad += record(session, offer, receivers, rng, good=False)
        print(f"synthetic exchanges: {good} good, {bad} poor, for {len(chosen)} of {len(judged)} requests")
        results = {}
        for label, w in (("with track record", weights), ("without", {**weights, "track_record": 0.0})):
            report = evaluation.evaluate(session, engine=MatchEngine(engine.encoder), weights=w)
            results[label] = report
        for language in sorted(results["without"].by_language):
            for condition in results["without"].by_language[language]:
                for label, report in results.items():
                    m = report.by_language[language][condition].get("full score")
                    if m is None:  # the text-only baselines do not use the factor
                        continue
                    row = "  ".join(f"{k} {m[k]:.3f}" for k in METRICS)
                    print(f"{language:3} {condition:10} {label:18} {row}")
        session.rollback()  # leave the database as it was


if __name__ == "__main__":
    main()
