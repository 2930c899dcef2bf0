"""``broker eval-suggest``'s report, computed with the hashing test encoder."""

from __future__ import annotations

import math

from sqlalchemy.orm import Session

from broker.ranking.embedding import HashingEncoder
from broker.services.suggestion_quality import COLUMNS, METHODS, OFF_TOPIC, evaluate_suggestions


def test_the_report_covers_every_method_language_and_bucket(session: Session) -> None:
    report = evaluate_suggestions(session, encoder=HashingEncoder(), folds=2)
    assert set(report.methods) == set(METHODS)
    for languages in report.methods.values():
        assert {"en (demo)", "es", "fr", "pt"} <= set(languages)
        assert languages["en (demo)"]["n"] == 272
        for metrics in languages.values():
            assert set(metrics) == set(COLUMNS)
            assert all(math.isnan(v) or 0 <= v <= 1 for k, v in metrics.items() if k != "n")
    assert all(0 <= n <= len(OFF_TOPIC) for n in report.off_topic.values())
    assert report.reliability and sum(b["n"] for b in report.reliability) > 0
    assert all(0 <= b["precision"] <= 1 for b in report.reliability)
