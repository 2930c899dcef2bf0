"""The evaluation runs end to end on the demo corpus (with the test encoder, so only the shape is checked)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from broker.errors import InvalidInput
from broker.matching import FACTORS, HashingEncoder
from broker.services import evaluation
from broker.services.bulk import demo
from broker.services.engine import MatchEngine
from tests.cli.test_cli import CLI_LIKE

WEIGHTS = {"semantic": 0.4, "sector": 0.15, "region": 0.1, "modality": 0.1, "language": 0.1, "cost": 0.15}


def test_eval_needs_the_demo_corpus(session: Session) -> None:
    with pytest.raises(InvalidInput, match="broker demo load"):
        evaluation.evaluate(session, engine=MatchEngine(HashingEncoder()), weights=WEIGHTS)


def test_eval_reports_three_methods_and_an_ablation(session: Session) -> None:
    encoder = HashingEncoder()
    demo.load_demo(session, principal=CLI_LIKE, encoder=encoder)
    report = evaluation.evaluate(session, engine=MatchEngine(encoder), weights=WEIGHTS)
    assert report.requests == 84
    assert set(report.methods) == {"full score", "tf-idf cosine", "embedding cosine"}
    assert set(report.ablation) == {f"without {f}" for f in FACTORS}
    for metrics in [*report.methods.values(), *report.ablation.values()]:
        assert all(0.0 <= v <= 1.0 for v in metrics.values())
        assert metrics["hit@1"] <= metrics["hit@3"] <= metrics["hit@10"]
    # the lexical baseline finds the right answer in the top 10 for most requests of this corpus
    assert report.methods["tf-idf cosine"]["hit@10"] > 0.8
