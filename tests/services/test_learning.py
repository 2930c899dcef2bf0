"""Learning weights from decisions: recovers known weights, refuses when there is too little data."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy.orm import Session

from broker.errors import InvalidInput
from broker.matching import FACTORS
from broker.models import Match, MatchReview, MatchSignal
from broker.ranking.embedding import HashingEncoder
from broker.ranking.engine import MatchEngine
from broker.schemas.profile import ProfilePut, Weights
from broker.services import learning, profiles
from tests.cli.test_cli import CLI_LIKE
from tests.factories import make_institution, make_offer, make_request

TRUE = {
    "semantic": 0.45,
    "sector": 0.25,
    "region": 0.15,
    "modality": 0.10,
    "language": 0.05,
    "cost": 0.0,
    "track_record": 0.12,
}


def synthetic_decisions(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(n, len(FACTORS)))
    latent = x @ np.array([TRUE[f] for f in FACTORS]) + rng.normal(0, 0.03, n)
    return x, (latent > np.median(latent)).astype(int)


def test_learned_weights_recover_the_true_order() -> None:
    x, y = synthetic_decisions(3000)
    learned = learning.fit_weights(x, y)
    informative = [f for f in FACTORS if TRUE[f] > 0]
    assert sorted(informative, key=learned.__getitem__, reverse=True) == sorted(
        informative, key=TRUE.__getitem__, reverse=True
    )
    assert learned["cost"] < 0.03


def test_learned_profile_beats_a_wrong_profile_on_held_out_decisions() -> None:
    x, y = synthetic_decisions(600)
    wrong = {"semantic": 0.0, "sector": 0.0, "region": 0.0, "modality": 0.0, "language": 0.5, "cost": 0.5}
    report = learning.compare(x, y, wrong)
    assert report.improved and report.learned_accuracy > 0.85 > report.current_accuracy


def test_too_few_decisions_are_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match="too few decisions"):
        learning.learn_profile(
            session,
            principal=CLI_LIKE,
            engine=MatchEngine(HashingEncoder()),
            base=None,
            name="learned",
            with_eval=False,
        )


def test_learns_from_stored_reviews_and_saves_the_profile(session: Session) -> None:
    x, y = synthetic_decisions(60, seed=3)
    offerer = make_institution(session, name="Offerer", country="BRA", languages=["pt"])
    seeker = make_institution(session, name="Seeker", country="MOZ", languages=["pt"])
    requests = [make_request(session, seeker) for _ in range(6)]
    offers = [make_offer(session, offerer) for _ in range(10)]
    pairs = [(r, o) for r in requests for o in offers]
    for (request, offer), values, label in zip(pairs, x, y, strict=False):
        components = dict(zip(FACTORS, values.tolist(), strict=True))
        match = Match(
            request_id=request.id,
            offer_id=offer.id,
            profile="default",
            score=0.5,
            rank=1,
            components=components,
        )
        session.add(match)
        session.flush()
        status = "accepted" if label else "rejected"
        session.add(
            MatchReview(match_id=match.id, status=status, reviewer_name="t", components_at_review=components)
        )
    session.flush()
    matrix, labels = learning.decision_matrix(session)
    assert matrix.shape == (60, 7) and labels.sum() == y.sum()
    wrong = Weights(semantic=0, sector=0, region=0, modality=0, language=1, cost=1)
    profiles.put_profile(session, principal=CLI_LIKE, name="wrong", data=ProfilePut(weights=wrong))
    report = learning.learn_profile(
        session,
        principal=CLI_LIKE,
        engine=MatchEngine(HashingEncoder()),
        base="wrong",
        name="learned-test",
        with_eval=False,
    )
    assert report.decisions == 60 and report.improved and report.saved_as == "learned-test"
    assert profiles.get_profile(session, name="learned-test").weights == report.learned


def _signal(session: Session, match: Match, institution_id: int, signal: str, side: str) -> None:
    session.add(
        MatchSignal(
            match_id=match.id, institution_id=institution_id, side=side, signal=signal, actor_name="t"
        )
    )
    session.flush()


def test_signals_are_weak_rows_and_the_latest_per_institution_counts(session: Session) -> None:
    offerer = make_institution(session, name="Offerer", country="BRA", languages=["pt"])
    seeker = make_institution(session, name="Seeker", country="MOZ", languages=["pt"])
    components = dict.fromkeys(FACTORS, 0.5)
    match = Match(
        request_id=make_request(session, seeker).id,
        offer_id=make_offer(session, offerer).id,
        profile="default",
        score=0.5,
        rank=1,
        components=components,
    )
    session.add(match)
    session.flush()
    _signal(session, match, seeker.id, "interested", "requester")
    _signal(session, match, seeker.id, "not_relevant", "requester")  # replaces the first
    _signal(session, match, offerer.id, "interested", "offerer")
    rows = learning.signal_rows(session)
    assert rows.x.shape == (2, len(FACTORS)) and sorted(rows.y.tolist()) == [0, 1]
    assert rows.weight.tolist() == [learning.SIGNAL_WEIGHT] * 2


def test_signals_shift_the_learned_weights_but_only_decisions_are_counted() -> None:
    x, y = synthetic_decisions(600)
    rng = np.random.default_rng(11)
    sx = rng.uniform(0, 1, size=(3000, len(FACTORS)))
    cost = FACTORS.index("cost")
    sy = (sx[:, cost] > 0.5).astype(int)  # institutions care about cost only
    signals = learning.SignalRows(x=sx, y=sy, weight=np.full(len(sy), learning.SIGNAL_WEIGHT))
    even = dict.fromkeys(FACTORS, 1 / len(FACTORS))
    without = learning.compare(x, y, even)
    with_signals = learning.compare(x, y, even, signals=signals)
    assert with_signals.learned["cost"] > without.learned["cost"] + 0.05
    assert (with_signals.decisions, with_signals.signals, without.signals) == (600, 3000, 0)


def test_signals_alone_are_too_few_decisions(session: Session) -> None:
    offerer = make_institution(session, name="Offerer", country="BRA", languages=["pt"])
    seeker = make_institution(session, name="Seeker", country="MOZ", languages=["pt"])
    request = make_request(session, seeker)
    for i in range(40):
        match = Match(
            request_id=request.id,
            offer_id=make_offer(session, offerer).id,
            profile="default",
            score=0.5,
            rank=i + 1,
            components=dict.fromkeys(FACTORS, i / 40),
        )
        session.add(match)
        session.flush()
        _signal(session, match, seeker.id, "interested" if i % 2 else "not_relevant", "requester")
    with pytest.raises(InvalidInput, match="too few decisions"):
        learning.learn_profile(
            session,
            principal=CLI_LIKE,
            engine=MatchEngine(HashingEncoder()),
            base=None,
            name="learned",
            with_eval=False,
        )


def test_decisions_without_track_records_keep_the_track_record_weight() -> None:
    x, y = synthetic_decisions(600)
    x[:, FACTORS.index("track_record")] = 0.5  # every pair neutral: no provider had a record
    old = {"semantic": 0.4, "sector": 0.15, "region": 0.1, "modality": 0.1, "language": 0.1, "cost": 0.15}
    report = learning.compare(x, y, old)
    six = sum(v for k, v in report.learned.items() if k != "track_record")
    assert report.learned["track_record"] == pytest.approx(0.05 * six)
