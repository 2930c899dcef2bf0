"""`broker learn`: fit scoring-profile weights to staff decisions (accepted vs rejected matches).

A logistic regression over the six factor values (as they were when the decision was taken)
gives weights: negative coefficients are clipped to zero and the rest normalised. The learned
profile is saved only if it separates accepted from rejected matches better than the current
profile on held-out decisions (stratified k-fold; each profile's acceptance threshold is fitted
on the training folds).

Institutions' signals on matches (``match_signals``: "interested" / "not relevant", the latest per
match and institution) count as weak evidence beside staff decisions: each is one more training row
labelled like an accept or a reject, with weight ``SIGNAL_WEIGHT`` (a staff decision weighs 1).
They never count towards the minimum number of decisions, and the held-out accuracy that decides
whether a learned profile is saved is measured on staff decisions only, so signals can shift the
weights but cannot by themselves make a profile look better.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.errors import InvalidInput
from broker.matching import FACTORS, NEUTRAL
from broker.models import Match, MatchReview, MatchSignal, MatchStatus, Role, SignalKind
from broker.ranking.engine import MatchEngine
from broker.services import evaluation, profiles
from broker.services.principal import Principal

MIN_DECISIONS = 30
MIN_PER_CLASS = 10
FOLDS = 5
# An institution's "interested" / "not relevant" is a weaker label than a staff accept / reject.
SIGNAL_WEIGHT = 0.25


@dataclass
class LearnReport:
    decisions: int
    accepted: int
    rejected: int
    current: dict[str, float]
    learned: dict[str, float]
    current_accuracy: float
    learned_accuracy: float
    logistic_accuracy: float
    improved: bool
    saved_as: str | None = None
    signals: int = 0  # institutions' signals used as weak extra training rows
    eval_before: dict[str, float] = field(default_factory=dict)
    eval_after: dict[str, float] = field(default_factory=dict)


def _with_track_record(values: dict[str, float]) -> dict[str, float]:
    """Factor values stored before the track record existed read it as neutral (it was absent)."""
    return {"track_record": NEUTRAL, **values} if values else values


def decision_matrix(session: Session) -> tuple[NDArray[np.float64], NDArray[np.int_]]:
    """Factor values (n, 6) and labels (1 accepted, 0 rejected) of each match's latest decision."""
    latest: dict[int, MatchReview] = {}
    stmt = (
        select(MatchReview)
        .where(MatchReview.status.in_([MatchStatus.accepted.value, MatchStatus.rejected.value]))
        .order_by(MatchReview.id)
    )
    for review in session.scalars(stmt):
        latest[review.match_id] = review
    components = dict(
        session.execute(select(Match.id, Match.components).where(Match.id.in_(list(latest)))).all()
    )
    rows, labels = [], []
    for match_id, review in latest.items():
        values = _with_track_record(review.components_at_review or components.get(match_id) or {})
        if all(name in values for name in FACTORS):
            rows.append([float(values[name]) for name in FACTORS])
            labels.append(int(review.status == MatchStatus.accepted.value))
    return np.array(rows, dtype=np.float64).reshape(-1, len(FACTORS)), np.array(labels, dtype=np.int_)


@dataclass(frozen=True)
class SignalRows:
    """Institutions' signals as weak training rows: (n, 6) factor values, (n,) labels, (n,) weights."""

    x: NDArray[np.float64]
    y: NDArray[np.int_]
    weight: NDArray[np.float64]

    @classmethod
    def empty(cls) -> SignalRows:
        return cls(np.zeros((0, len(FACTORS))), np.zeros(0, dtype=np.int_), np.zeros(0))


def signal_rows(session: Session) -> SignalRows:
    """The latest signal of each (match, institution): 1 for interested, 0 for not relevant, each with
    ``SIGNAL_WEIGHT``, over the match's current factor values."""
    latest: dict[tuple[int, int], str] = {}
    for match_id, institution_id, signal in session.execute(
        select(MatchSignal.match_id, MatchSignal.institution_id, MatchSignal.signal).order_by(MatchSignal.id)
    ):
        latest[(match_id, institution_id)] = signal
    ids = sorted({match_id for match_id, _ in latest})
    components = dict(session.execute(select(Match.id, Match.components).where(Match.id.in_(ids))).all())
    rows, labels = [], []
    for (match_id, _), signal in latest.items():
        values = _with_track_record(components.get(match_id) or {})
        if all(name in values for name in FACTORS):
            rows.append([float(values[name]) for name in FACTORS])
            labels.append(int(signal == SignalKind.interested.value))
    return SignalRows(
        x=np.array(rows, dtype=np.float64).reshape(-1, len(FACTORS)),
        y=np.array(labels, dtype=np.int_),
        weight=np.full(len(labels), SIGNAL_WEIGHT),
    )


def fit_weights(
    x: NDArray[np.float64], y: NDArray[np.int_], sample_weight: NDArray[np.float64] | None = None
) -> dict[str, float]:
    """Non-negative weights summing to 1 from a logistic regression of decisions on factor values.

    Args:
        x: (n, 6) factor values in [0, 1], columns in ``FACTORS`` order.
        y: (n,) 1 for accepted, 0 for rejected.
        sample_weight: (n,) weight of each row (None: 1 each).

    Returns:
        ``{factor: weight}``; if every coefficient is <= 0, uniform weights.
    """
    model = LogisticRegression(C=10.0, max_iter=2000).fit(x, y, sample_weight=sample_weight)
    coef = np.clip(model.coef_[0], 0.0, None)
    if coef.sum() <= 0:
        coef = np.ones(len(FACTORS))
    return dict(zip(FACTORS, (coef / coef.sum()).tolist(), strict=True))


def _threshold_accuracy(
    train_s: NDArray[np.float64],
    train_y: NDArray[np.int_],
    test_s: NDArray[np.float64],
    test_y: NDArray[np.int_],
) -> float:
    """Accuracy on the test fold of "accept if score >= t", with t chosen on the training fold."""
    candidates = np.unique(train_s)
    accuracies = [np.mean((train_s >= t) == train_y) for t in candidates]
    threshold = candidates[int(np.argmax(accuracies))]
    return float(np.mean((test_s >= threshold) == test_y))


def compare(
    x: NDArray[np.float64],
    y: NDArray[np.int_],
    current: dict[str, float],
    *,
    seed: int = 0,
    signals: SignalRows | None = None,
) -> LearnReport:
    """Cross-validated accuracy of the current weights, the learned weights and the raw logistic model.

    ``signals`` join every training fold as weighted rows; the folds and the accuracies are the
    staff decisions' alone.
    """
    extra = signals or SignalRows.empty()
    current = profiles.profile_weights(current)
    accepted, rejected = int(y.sum()), int(len(y) - y.sum())
    if len(y) < MIN_DECISIONS or min(accepted, rejected) < MIN_PER_CLASS:
        raise InvalidInput(
            f"too few decisions to learn from: {accepted} accepted and {rejected} rejected; need at least "
            f"{MIN_DECISIONS} in all and {MIN_PER_CLASS} of each"
        )
    w_current = np.array([current.get(name, 0.0) for name in FACTORS])
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed)
    scores: dict[str, list[float]] = {"current": [], "learned": [], "logistic": []}
    for train, test in folds.split(x, y):
        train_x, train_y, train_w = _with_signals(x[train], y[train], extra)
        w_learned = np.array(list(fit_weights(train_x, train_y, train_w).values()))
        for name, w in (("current", w_current), ("learned", w_learned)):
            scores[name].append(_threshold_accuracy(x[train] @ w, y[train], x[test] @ w, y[test]))
        model = LogisticRegression(C=10.0, max_iter=2000).fit(train_x, train_y, sample_weight=train_w)
        scores["logistic"].append(float(model.score(x[test], y[test])))
    mean = {name: float(np.mean(values)) for name, values in scores.items()}
    return LearnReport(
        decisions=len(y),
        accepted=accepted,
        rejected=rejected,
        current=dict(current),
        learned=_keep_track_record_without_signal(fit_weights(*_with_signals(x, y, extra)), x, current),
        current_accuracy=mean["current"],
        learned_accuracy=mean["learned"],
        logistic_accuracy=mean["logistic"],
        improved=mean["learned"] > mean["current"],
        signals=len(extra.y),
    )


def _keep_track_record_without_signal(
    learned: dict[str, float], x: NDArray[np.float64], current: dict[str, float]
) -> dict[str, float]:
    """Decisions on pairs whose track records were all alike (typically: none yet, neutral) say
    nothing about the factor; keep the current profile's share instead of learning a 0."""
    column = x[:, FACTORS.index("track_record")]
    if len(column) and np.ptp(column) > 1e-9:
        return learned
    six = [name for name in FACTORS if name != "track_record"]
    share = current["track_record"] / max(sum(current.get(n, 0.0) for n in six), 1e-12)
    return {**learned, "track_record": share * sum(learned[n] for n in six)}


def _with_signals(
    x: NDArray[np.float64], y: NDArray[np.int_], signals: SignalRows
) -> tuple[NDArray[np.float64], NDArray[np.int_], NDArray[np.float64]]:
    """Staff decisions (weight 1) followed by the signals' weak rows."""
    return (
        np.vstack([x, signals.x]),
        np.concatenate([y, signals.y]),
        np.concatenate([np.ones(len(y)), signals.weight]),
    )


def learn_profile(
    session: Session,
    *,
    principal: Principal,
    engine: MatchEngine,
    base: str | None,
    name: str,
    with_eval: bool = True,
) -> LearnReport:
    """Fit weights to the stored decisions and save them as profile ``name`` if they do better.

    The dev-set metrics before and after are added when the demo corpus is in the database.
    """
    principal.require(Role.staff, Role.admin)
    current = profiles.get_profile(session, name=base)
    x, y = decision_matrix(session)
    report = compare(x, y, current.weights, signals=signal_rows(session))
    if with_eval:
        try:
            report.eval_before = evaluation.evaluate(
                session, engine=engine, weights=current.weights, multilingual=None
            ).methods["full score"]
            report.eval_after = evaluation.evaluate(
                session, engine=engine, weights=report.learned, multilingual=None
            ).methods["full score"]
        except InvalidInput:
            pass  # no dev set records here: decisions alone decide
    if report.improved:
        description = (
            f"Learned from {report.decisions} decisions: held-out accuracy "
            f"{report.learned_accuracy:.3f} vs {report.current_accuracy:.3f} for '{current.name}'"
        )
        profiles.save_learned_profile(
            session, name=name, weights=report.learned, description=description, principal=principal
        )
        report.saved_as = name
    return report
