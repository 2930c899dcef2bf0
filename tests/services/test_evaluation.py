"""The evaluation runs end to end on the demo corpus (with the test encoder, so only the shape is checked)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from broker.errors import InvalidInput
from broker.matching import FACTORS
from broker.ranking.embedding import HashingEncoder
from broker.ranking.engine import MatchEngine
from broker.services import evaluation
from broker.services.bulk import demo
from tests.cli.test_cli import CLI_LIKE

WEIGHTS = {"semantic": 0.4, "sector": 0.15, "region": 0.1, "modality": 0.1, "language": 0.1, "cost": 0.15}


def test_eval_needs_the_demo_corpus(session: Session) -> None:
    with pytest.raises(InvalidInput, match="broker demo load"):
        evaluation.evaluate(session, engine=MatchEngine(HashingEncoder()), weights=WEIGHTS)


def test_eval_reports_methods_per_language_and_condition_an_ablation_and_fit(session: Session) -> None:
    encoder = HashingEncoder()
    demo.load_demo(session, principal=CLI_LIKE, encoder=encoder)
    report = evaluation.evaluate(session, engine=MatchEngine(encoder), weights=WEIGHTS)
    assert report.counts["en"] == 84 and min(report.counts[lang] for lang in ("es", "fr", "pt")) >= 20
    assert report.requests == sum(report.counts.values())
    for table in report.by_language.values():
        assert set(table) == {"coded", "free text", "text only"}
        assert set(table["text only"]) == {"embedding cosine", "tf-idf cosine"}
    assert report.fit["all"]["unserved_requests"] >= 10
    for name in ("coded", "free text", "language es"):
        assert 0 <= report.fit[name]["coverage"] <= 1
    assert set(report.methods) == {"full score", "tf-idf cosine", "embedding cosine"}
    assert set(report.ablation) == {f"without {f}" for f in FACTORS}
    for metrics in [*report.methods.values(), *report.ablation.values()]:
        assert all(0.0 <= v <= 1.0 for v in metrics.values())
        assert metrics["hit@1"] <= metrics["hit@3"] <= metrics["hit@10"]
    # the lexical baseline finds the right answer in the top 10 for most requests of this corpus
    assert report.methods["tf-idf cosine"]["hit@10"] > 0.8


def test_free_text_condition_removes_every_code_and_keeps_the_text(session: Session) -> None:
    encoder = HashingEncoder()
    demo.load_demo(session, principal=CLI_LIKE, encoder=encoder)
    judged = evaluation.load_judgements(session)[0]
    copy = evaluation.without_codes(judged.request)
    assert judged.request.sectors and not copy.sectors and not copy.modalities and not copy.sdgs
    assert (copy.title, copy.description, copy.country) == (
        judged.request.title,
        judged.request.description,
        judged.request.country,
    )


def test_the_free_text_suggester_never_learns_from_a_judged_request(session: Session) -> None:
    encoder = HashingEncoder()
    demo.load_demo(session, principal=CLI_LIKE, encoder=encoder)
    judged = evaluation.load_judgements(session)
    suggester = evaluation.held_out_suggester(MatchEngine(encoder), judged)
    texts = {(j.request.title, j.request.description) for j in judged}
    assert suggester.pool and not any((r.title, r.description) in texts for r in suggester.pool)
