"""Ranked lists of the API rendered in another language."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from broker.i18n.ranked import SUMMARIES, localize_ranked
from broker.matching import Fit, Reason
from broker.ranking.service import ranked_list
from broker.schemas.ranking import RankedItem, ReasonDetail

ENGINE: Any = SimpleNamespace(encoder=SimpleNamespace(model_id="test"))


def _item(fit: Fit, reasons: list[Reason]) -> RankedItem:
    return RankedItem(
        id=None,
        request_id=1,
        offer_id=2,
        rank=1,
        score=0.5,
        components={},
        contributions={},
        estimated_cost_usd=900.0,
        modality="workshop",
        reasons=["English"] * len(reasons),
        reasons_detail=[ReasonDetail(code=r.code, params=dict(r.params), text="English") for r in reasons],
        status=None,
        fit=fit,
        relevance=0.5,
    )


def test_the_fixed_summaries_are_the_ones_the_service_writes() -> None:
    empty = ranked_list([], ENGINE, "default", recomputed=True)
    weak = ranked_list([_item(Fit.weak, [])], ENGINE, "default", recomputed=True)
    assert {empty.summary, weak.summary} == set(SUMMARIES)


def test_a_list_in_portuguese_keeps_its_codes_and_numbers() -> None:
    reasons = [Reason("language.none", {}), Reason("cost.estimate", {"cost_usd": 900.0})]
    weak = ranked_list([_item(Fit.weak, reasons)], ENGINE, "default", recomputed=True)
    got = localize_ranked(weak, "pt")
    (item,) = got.items
    assert item.reasons == [
        "Nenhum idioma de trabalho em comum: é preciso interpretação",
        "Custo estimado: cerca de USD\xa0900",
    ]
    assert [d.text for d in item.reasons_detail] == item.reasons
    assert [(d.code, d.params) for d in item.reasons_detail] == [(r.code, dict(r.params)) for r in reasons]
    assert got.summary.startswith("Nenhuma boa correspondência") and item.score == 0.5
    assert localize_ranked(weak, "en") is weak


def test_summaries_with_counts_stay_as_written() -> None:
    good = ranked_list([_item(Fit.strong, [])], ENGINE, "default", recomputed=True)
    assert localize_ranked(good, "fr").summary == good.summary
