"""Reasons for a ranked match, from the evidence of the pair and the caller's names."""

from __future__ import annotations

import numpy as np

from broker.matching import DemandArrays, NameTables, SupplyArrays, explain_match, match_evidence, score_pairs
from broker.matching.explain import RegionLevel, SectorLevel
from tests.matching.builders import (
    BANGLADESH,
    BRAZIL,
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
MODALITY_NAMES = ["study tour", "expert visit", "training course", "workshop"] + [
    f"modality {m}" for m in range(4, 14)
]
MODALITY_NAMES[VIDEO] = "video conference"
NAMES = NameTables(
    sectors=[
        "STD control including HIV/AIDS",
        "Reproductive health care",
        "Infectious disease control",
        "Health policy",
        "Irrigation",
    ],
    categories=[
        "Population policies and reproductive health",
        "Basic health",
        "Health, general",
        "Agriculture",
    ],
    groups=["Population", "Health", "Agriculture"],
    countries=["Kenya", "Uganda", "Nigeria", "Egypt", "Brazil", "India", "Bangladesh"],
    regions=["Africa", "Americas", "Asia"],
    subregions=["Sub-Saharan Africa", "Northern Africa", "Latin America and the Caribbean", "Southern Asia"],
    intermediate_regions=["Eastern Africa", "Western Africa", "South America"],
    income_levels=["Low", "Lower middle", "Upper middle", "High"],
    modalities=MODALITY_NAMES,
    languages=["English", "French", "Portuguese"] + [f"language {k}" for k in range(3, 70)],
)


def reasons(demand: DemandArrays, supply: SupplyArrays) -> list[list[str]]:
    scored = score_pairs(demand, supply, TABLES)
    return [
        explain_match(match_evidence(demand, supply, scored, k, TABLES), NAMES) for k in range(len(scored))
    ]


def test_reasons_for_a_close_domestic_match() -> None:
    demand = request(embedding=unit(1.0), country=KENYA, languages=[2], budget_usd=25_000)
    (got,) = reasons(demand, offers({"country": KENYA, "languages": [2, 0], "modalities": [STUDY_TOUR]}))
    assert got == [
        "Close semantic fit (1.00)",
        "Same sector: STD control including HIV/AIDS",
        "Same country: Kenya (domestic scale-up)",
        "Offers your preferred modality: study tour",
        "Shared working language: Portuguese",
        "Estimated cost USD 15,000 within budget USD 25,000",
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
    assert first == [
        "Close semantic fit (0.87)",
        "Same sector category: Population policies and reproductive health",
        "Same sub-region: Eastern Africa",
        "Peers at a neighbouring income level",
        "Related modality: video conference for workshop",
        "No shared working language: interpretation needed",
        "Estimated cost USD 700 exceeds budget USD 200",
    ]
    assert second[1:4] == [
        "Different sector: Infectious disease control",
        "Same sub-region: Sub-Saharan Africa",
        "Peers at the same income level (Lower middle income)",
    ]
    assert second[4] == "Modality outside your preferences: expert visit"
    assert third[2] == "Different regions: Brazil and Kenya"


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
    text = explain_match(evidence, NAMES)
    assert "Same sector group: Health" in text and "Same sub-region: Southern Asia" in text
    assert "Proposed modality: video conference" in text and text[-1] == "Estimated cost USD 300"
    assert np.isclose(scored.estimated_cost_usd[0], 300.0)
