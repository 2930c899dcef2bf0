"""Providers' records follow the exchanges: a completed exchange or a receiver's report changes the
next ranking's track-record value and reason, and no record is neutral."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy.orm import Session

from broker.matching import Weights
from broker.models import Exchange, ExchangeReport, ExchangeStatus, Institution, KnowledgeRequest, Offer
from broker.ranking.catalog import catalog_generation
from broker.ranking.codebook import demand_row
from broker.ranking.embedding import HashingEncoder
from broker.ranking.engine import Explained, MatchEngine
from broker.ranking.track_record import load_track_records
from broker.services.profiles import profile_weights
from tests.factories import make_hiv_catalogue, make_institution, make_offer, make_request


def ranked(
    session: Session, engine: MatchEngine, request: KnowledgeRequest, w: float = 0.05
) -> list[Explained]:
    engine.sync(session)
    institution = session.get_one(Institution, request.institution_id)
    return engine.rank_offers(
        demand_row(engine.book, request, institution),
        engine.item_vector(session, request),
        weights=Weights(track_record=w),
        limit=10,
        per_institution=2,
        now=datetime.now(UTC).timestamp(),
    )


def track_reason(items: list[Explained], offer: Offer) -> tuple[str, dict[str, object], float]:
    (item,) = [i for i in items if i.match.id == offer.id]
    (reason,) = [r for r in item.reasons if r.code.startswith("track_record.")]
    return reason.code, dict(reason.params), item.match.score


def exchange(session: Session, offer: Offer, request: KnowledgeRequest, status: str) -> Exchange:
    row = Exchange(
        request_id=request.id,
        offer_id=offer.id,
        requester_institution_id=request.institution_id,
        provider_institution_id=offer.institution_id,
        status=status,
        completed_at=datetime.now(UTC) if status == ExchangeStatus.completed.value else None,
    )
    session.add(row)
    session.flush()
    return row


def report(session: Session, row: Exchange, relevance: int, usefulness: int, outcomes: list[str]) -> None:
    session.add(
        ExchangeReport(
            exchange_id=row.id,
            side="requester",
            institution_id=row.requester_institution_id,
            outcomes=outcomes,
            relevance=relevance,
            usefulness=usefulness,
            actor_name="test",
        )
    )
    session.flush()


def test_a_report_changes_the_next_ranking(session: Session) -> None:
    c = make_hiv_catalogue(session)
    hiv, request = c["hiv"], c["request"]
    assert isinstance(hiv, Offer) and isinstance(request, KnowledgeRequest)
    engine = MatchEngine(HashingEncoder())
    before = ranked(session, engine, request)
    code, params, score = track_reason(before, hiv)
    assert (code, params) == ("track_record.none", {"value": 0.5})
    without = track_reason(ranked(session, engine, request, w=0.0), hiv)[2]
    assert score == without  # no record is neutral: the same score as without the factor

    # an earlier request of another institution, served by the same offer and completed
    uganda = make_institution(session, name="Uganda MoH", country="UGA")
    other = make_request(session, uganda, sectors=["13040"])
    generation = catalog_generation(session)
    done = exchange(session, hiv, other, ExchangeStatus.completed.value)
    assert catalog_generation(session) > generation  # an exchange write is a catalogue write
    code, params, completed_score = track_reason(ranked(session, engine, request), hiv)
    assert code == "track_record.topic_unrated" and params["count"] == 1
    assert completed_score > score

    report(session, done, 5, 4, ["capacity_built"])
    code, params, rated_score = track_reason(ranked(session, engine, request), hiv)
    assert code == "track_record.topic" and params["count"] == 1 and params["rating"] == 4.5
    assert rated_score > completed_score
    assert rated_score - score <= 0.05 * 0.1 + 1e-9  # one report moves the score by at most w x 0.1


def test_cancelled_exchanges_and_provider_reports_do_not_count(session: Session) -> None:
    c = make_hiv_catalogue(session)
    hiv, request = c["hiv"], c["request"]
    assert isinstance(hiv, Offer) and isinstance(request, KnowledgeRequest)
    exchange(session, hiv, request, ExchangeStatus.cancelled.value)
    row = exchange(session, hiv, request, ExchangeStatus.under_way.value)
    assert row.id
    engine = MatchEngine(HashingEncoder())
    assert len(load_track_records(session, engine.book)) == 0


def test_records_are_counted_per_sector_group_and_overall(session: Session) -> None:
    c = make_hiv_catalogue(session)
    brazil = c["brazil"]
    hiv, request = c["hiv"], c["request"]
    assert isinstance(hiv, Offer) and isinstance(request, KnowledgeRequest)
    roads = make_offer(session, brazil, title="Rural roads", sectors=["21020"])  # another group
    for offer in (hiv, roads, roads):
        exchange(session, offer, request, ExchangeStatus.completed.value)
    engine = MatchEngine(HashingEncoder())
    table = load_track_records(session, engine.book)
    assert table.provider_ids.tolist() == [brazil.id]
    totals = table.stats[0, -1]
    assert totals[0] == 3
    groups = engine.book.tables.sectors.group_of
    hiv_group = int(groups[engine.book.sector_index["13040"]])
    assert table.stats[0, hiv_group, 0] == 1
    assert np.count_nonzero(table.stats[0, :-1, 0]) == 2


def test_a_profile_stored_before_the_track_record_gets_the_default_weight() -> None:
    old = {"semantic": 0.4, "sector": 0.15, "region": 0.1, "modality": 0.1, "language": 0.1, "cost": 0.15}
    assert profile_weights(old)["track_record"] == 0.05
    assert Weights.from_mapping(profile_weights(old)).normalised()[6] == 0.05
    assert profile_weights({**old, "track_record": 0.0})["track_record"] == 0.0


def test_a_profile_may_state_its_track_record_weight() -> None:
    from broker.schemas.profile import Weights as WeightsIn

    six = {"semantic": 4, "sector": 2, "region": 1, "modality": 1, "language": 1, "cost": 1}
    stored = WeightsIn(**six, track_record=1).normalised()
    assert Weights.from_mapping(stored).normalised()[6] == pytest.approx(0.1)
    assert "track_record" not in WeightsIn(**six).normalised()  # omitted: the default applies
