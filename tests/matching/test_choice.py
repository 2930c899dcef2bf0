"""Choice of the modality: exact, related, no preference, and the joint modality-and-cost rule."""

from __future__ import annotations

import pytest

from broker.matching import (
    CostParams,
    DemandArrays,
    ModalityChoice,
    SupplyArrays,
    Weights,
    choose_modality,
    offered_slots,
    score_pairs,
    shares_language,
)
from broker.matching.results import COST, MODALITY
from tests.matching.builders import (
    EXPERT_VISIT,
    STUDY_TOUR,
    VIDEO,
    WORKSHOP,
    make_tables,
    offers,
    request,
    take,
)

TABLES = make_tables()


def choose(demand: DemandArrays, supply: SupplyArrays) -> ModalityChoice:
    weights = Weights().normalised()
    shared = shares_language(demand.languages, supply.languages)
    return choose_modality(
        demand, supply, shared, TABLES, weights=(weights[MODALITY], weights[COST]), params=CostParams()
    )


def test_preferred_modality_is_chosen_when_affordable() -> None:
    choice = choose(request(modalities=[STUDY_TOUR]), offers({"modalities": [STUDY_TOUR, WORKSHOP]}))
    assert choice.modality.tolist() == [STUDY_TOUR]
    assert choice.fit.tolist() == [1.0]


def test_related_modality_gets_partial_credit() -> None:
    choice = choose(request(modalities=[WORKSHOP]), offers({"modalities": [VIDEO, EXPERT_VISIT]}))
    assert choice.modality.tolist() == [VIDEO]
    assert choice.fit.tolist() == [0.5]


def test_without_preference_the_cheapest_offered_modality_is_chosen() -> None:
    choice = choose(request(modalities=[]), offers({"modalities": [STUDY_TOUR, VIDEO]}))
    assert choice.modality.tolist() == [VIDEO]
    assert choice.fit.tolist() == [1.0]
    assert choice.cost_usd.tolist() == pytest.approx([300.0])


def test_a_much_cheaper_related_modality_beats_an_unaffordable_exact_one() -> None:
    # Study tour: ~15,800 USD against a 5,000 budget; video conference (credit 0.3): 300 USD.
    demand = request(modalities=[STUDY_TOUR], budget_usd=5_000)
    choice = choose(demand, offers({"modalities": [STUDY_TOUR, VIDEO]}))
    assert choice.modality.tolist() == [VIDEO]
    assert choice.fit.tolist() == [0.3]
    # ... so offering the exact modality on top of the cheap one does not lower the score
    only_video = score_pairs(demand, offers({"modalities": [VIDEO]}), TABLES).scores
    both = score_pairs(demand, offers({"modalities": [VIDEO, STUDY_TOUR]}), TABLES).scores
    assert both[0] >= only_video[0]


def test_all_pairing_modes_choose_alike() -> None:
    demand = request(modalities=[WORKSHOP], budget_usd=None)
    supply = offers(
        {"modalities": [STUDY_TOUR, VIDEO]},
        {"modalities": [EXPERT_VISIT], "cost_usd": 2_000.0},
        {"modalities": [WORKSHOP, VIDEO], "languages": [5]},
    )
    one_vs_many = choose(demand, supply)
    for k in range(3):
        single = choose(demand, take(supply, [k]))
        assert single.modality.tolist() == [one_vs_many.modality[k]]
        assert single.cost_usd.tolist() == pytest.approx([one_vs_many.cost_usd[k]])
    slots = offered_slots(supply.modalities)
    assert slots.tolist() == [[STUDY_TOUR, VIDEO], [EXPERT_VISIT, 14], [WORKSHOP, VIDEO]]
