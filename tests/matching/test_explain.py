"""Reasons for a ranked match, as codes and parameters, from the evidence of the pair."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from broker.matching import (
    CodeTables,
    CostParams,
    DemandArrays,
    Reason,
    SupplyArrays,
    cost_breakdown,
    estimate_exchange_cost,
    explain_match,
    match_evidence,
    score_pairs,
)
from broker.matching.explain import RegionLevel, SectorLevel
from tests.matching.builders import (
    BANGLADESH,
    BRAZIL,
    DETERMINISTIC,
    EXPERT_VISIT,
    HEALTH_POLICY,
    HIV,
    INDIA,
    INFECTIOUS,
    IRRIGATION,
    KENYA,
    NIGERIA,
    REPRODUCTIVE,
    STUDY_TOUR,
    UGANDA,
    VIDEO,
    WORKSHOP,
    make_tables,
    offers,
    request,
    unit,
)

TABLES = make_tables()
MODALITIES = ["study_tour", "expert_visit", "training_course", "workshop"] + [f"m{m}" for m in range(4, 14)]
MODALITIES[VIDEO] = "video_conference"
# The builders' toy tables, with the real reference codes of what they stand for.
CODES = CodeTables(
    sectors=["13040", "13020", "12250", "12110", "31140"],
    categories=["130", "122", "121", "311"],
    groups=["130", "120", "310"],
    countries=["KEN", "UGA", "NGA", "EGY", "BRA", "IND", "BGD"],
    regions=["002", "019", "142"],
    subregions=["202", "015", "419", "034"],
    intermediate_regions=["014", "011", "005"],
    income_levels=["low", "lower_middle", "upper_middle", "high"],
    modalities=MODALITIES,
    languages=["en", "fr", "pt"] + [f"l{k}" for k in range(3, 70)],
)


def reasons(demand: DemandArrays, supply: SupplyArrays) -> list[list[Reason]]:
    scored = score_pairs(demand, supply, TABLES)
    return [
        explain_match(match_evidence(demand, supply, scored, k, TABLES), CODES) for k in range(len(scored))
    ]


def test_reasons_for_a_close_domestic_match() -> None:
    demand = request(embedding=unit(1.0), country=KENYA, languages=[2], budget_usd=25_000)
    (got,) = reasons(demand, offers({"country": KENYA, "languages": [2, 0], "modalities": [STUDY_TOUR]}))
    assert got == [
        Reason("semantic.close", {"score": 1.0}),
        Reason("sector.same_code", {"sector": "13040"}),
        Reason("region.same_country", {"country": "KEN"}),
        Reason("modality.preferred", {"modality": "study_tour"}),
        Reason("language.shared", {"languages": ["pt"]}),
        Reason("cost.within_budget", {"cost_usd": 15_000.0, "budget_usd": 25_000.0}),
        Reason("track_record.none", {"value": 0.5}),
    ]


def test_reasons_name_the_shared_area_income_and_partial_matches() -> None:
    demand = request(
        embedding=unit(1.0, 1.0), sectors=[REPRODUCTIVE], modalities=[WORKSHOP], languages=[1], budget_usd=200
    )
    supply = offers(
        {
            "embedding": unit(1.0),
            "sectors": [HIV],
            "country": UGANDA,
            "modalities": [VIDEO],
            "languages": [0],
        },
        {"sectors": [INFECTIOUS], "country": NIGERIA, "modalities": [EXPERT_VISIT]},
        {"sectors": [IRRIGATION], "country": BRAZIL},
    )
    first, second, third = reasons(demand, supply)
    assert [(r.code, r.params) for r in first] == [
        ("semantic.close", {"score": 0.8673}),  # the semantic factor, rounded to 4 places
        ("sector.same_category", {"category": "130"}),
        ("region.same_subregion", {"region": "014"}),
        ("income.neighbouring", {}),
        ("modality.related", {"modality": "video_conference", "requested": "workshop"}),
        ("language.none", {}),
        ("cost.over_budget", {"cost_usd": first[-2].params["cost_usd"], "budget_usd": 200.0}),
        ("track_record.none", {"value": 0.5}),
    ]
    assert np.isclose(float(first[-2].params["cost_usd"]), 700.0)
    assert second[1:4] == [
        Reason("sector.different", {"sector": "12250"}),
        Reason("region.same_subregion", {"region": "202"}),
        Reason("income.same", {"income": "lower_middle"}),
    ]
    assert second[4] == Reason("modality.outside", {"modality": "expert_visit"})
    assert third[2] == Reason("region.different", {"supply_country": "BRA", "demand_country": "KEN"})


def test_shared_language_names_every_shared_language_and_only_those() -> None:
    # The request works in Portuguese and French, the offer in English, Portuguese and French: the
    # two shared ones are named, never English (bit 0), which only the offer speaks.
    demand = request(languages=[2, 1, 40, 65])
    supply = offers({"languages": [0, 1, 2, 65]}, {"languages": [0]})
    shared, none = (next(r for r in rs if r.code.startswith("language.")) for rs in reasons(demand, supply))
    assert shared == Reason("language.shared", {"languages": ["fr", "pt", "l65"]})
    assert none == Reason("language.none", {})


def _substitution_pair() -> tuple[DemandArrays, SupplyArrays]:
    """A request preferring a study tour, an offer of a study tour or a (related) expert visit, and a
    budget the study tour breaks: the choice takes the cheaper expert visit."""
    demand = request(modalities=[STUDY_TOUR], participants=10, budget_usd=6_000)
    return demand, offers({"country": BRAZIL, "modalities": [STUDY_TOUR, EXPERT_VISIT]})


def test_a_cheaper_related_modality_replacing_the_preferred_one_says_so_and_by_how_much() -> None:
    demand, supply = _substitution_pair()
    scored = score_pairs(demand, supply, TABLES)
    evidence = match_evidence(demand, supply, scored, 0, TABLES)
    assert evidence.modality == EXPERT_VISIT and evidence.replaced == STUDY_TOUR
    study_tour = estimate_exchange_cost(
        np.array([STUDY_TOUR]),
        participants=10.0,
        distance_km=TABLES.countries.distance_km[KENYA, BRAZIL],
        shared_language=True,
        cost_usd=np.nan,
        modalities=TABLES.modalities,
        params=CostParams(),
    )[0]
    (reason,) = [r for r in explain_match(evidence, CODES) if r.code.startswith("modality.")]
    assert reason.code == "modality.substituted"
    assert reason.params["modality"] == "expert_visit" and reason.params["requested"] == "study_tour"
    saving = float(reason.params["saving_usd"])  # type: ignore[arg-type]
    assert saving > 0 and np.isclose(saving, study_tour - scored.estimated_cost_usd[0])


def test_a_preferred_modality_the_offer_lacks_is_a_related_choice_not_a_substitution() -> None:
    demand = request(modalities=[STUDY_TOUR], participants=10, budget_usd=6_000)
    (got,) = reasons(demand, offers({"country": BRAZIL, "modalities": [EXPERT_VISIT]}))
    assert Reason("modality.related", {"modality": "expert_visit", "requested": "study_tour"}) in got


@DETERMINISTIC
@given(
    participants=st.one_of(st.just(np.nan), st.integers(1, 60).map(float)),
    budget=st.one_of(st.just(np.nan), st.floats(500, 80_000)),
    stated=st.one_of(st.just(np.nan), st.floats(0, 50_000)),
    languages=st.sampled_from([[0], [1], [2, 65]]),
    country=st.integers(0, 6),
    chosen=st.lists(st.sampled_from([STUDY_TOUR, EXPERT_VISIT, WORKSHOP, VIDEO]), min_size=1, unique=True),
)
def test_cost_breakdown_parts_sum_to_the_estimate_used_in_scoring(
    participants: float, budget: float, stated: float, languages: list[int], country: int, chosen: list[int]
) -> None:
    demand = request(
        modalities=[STUDY_TOUR],
        participants=None if np.isnan(participants) else participants,
        budget_usd=None if np.isnan(budget) else budget,
        languages=[0],
    )
    supply = offers(
        {
            "country": country,
            "languages": languages,
            "modalities": chosen,
            "cost_usd": None if np.isnan(stated) else stated,
        },
        {"country": (country + 3) % 7, "modalities": [VIDEO, STUDY_TOUR]},
    )
    scored = score_pairs(demand, supply, TABLES)
    for k in range(len(scored)):
        parts = cost_breakdown(demand, supply, scored, k, TABLES, CODES)
        assert parts.modality == int(scored.modality[k])
        assert min(parts.fixed_usd, parts.participants_usd, parts.travel_usd, parts.interpretation_usd) >= 0
        total = parts.fixed_usd + parts.participants_usd + parts.travel_usd + parts.interpretation_usd
        assert np.isclose(total, parts.total_usd) and np.isclose(total, scored.estimated_cost_usd[k])
        assert (parts.interpretation_usd > 0) == (k == 0 and 0 not in languages)  # no shared language
        assert parts.modality_reason.startswith("modality.")
        given_evidence = match_evidence(demand, supply, scored, k, TABLES)  # as the engine passes it
        assert cost_breakdown(demand, supply, scored, k, TABLES, CODES, evidence=given_evidence) == parts


def test_cost_breakdown_names_the_substitution() -> None:
    demand, supply = _substitution_pair()
    scored = score_pairs(demand, supply, TABLES)
    parts = cost_breakdown(demand, supply, scored, 0, TABLES, CODES)
    assert parts.modality == EXPERT_VISIT and parts.modality_reason == "modality.substituted"
    assert parts.participants_usd == 0  # an expert visit has no per-participant cost in these tables


def test_evidence_codes_for_group_level_sectors_and_asian_sub_region() -> None:
    demand = request(sectors=[INFECTIOUS], country=INDIA, modalities=[], budget_usd=None)
    supply = offers({"sectors": [HEALTH_POLICY], "country": BANGLADESH, "modalities": [STUDY_TOUR, VIDEO]})
    scored = score_pairs(demand, supply, TABLES)
    evidence = match_evidence(demand, supply, scored, 0, TABLES)
    assert (evidence.sector_level, evidence.sector_area) == (SectorLevel.GROUP, 1)
    assert (evidence.region_level, evidence.shared_area, evidence.intermediate_area) == (
        RegionLevel.LOCAL,
        3,
        False,
    )
    assert evidence.income_gap == -1 and evidence.related_to is None and evidence.preferred == ()
    got = explain_match(evidence, CODES)
    assert Reason("sector.same_group", {"group": "120"}) in got
    assert Reason("region.same_subregion", {"region": "034"}) in got
    assert Reason("modality.proposed", {"modality": "video_conference"}) in got
    assert got[-2].code == "cost.estimate" and np.isclose(float(got[-2].params["cost_usd"]), 300.0)  # type: ignore[arg-type]
    assert np.isclose(scored.estimated_cost_usd[0], 300.0)
