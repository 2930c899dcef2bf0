"""Parse the files under data/reference into typed entries (stdlib only)."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from broker.reference.models import (
    INCOME_LEVELS,
    Country,
    Delivery,
    IncomeLevel,
    Language,
    Modality,
    ModalityCost,
    Outcome,
    Region,
    RegionLevel,
    SdgGoal,
    SdgTarget,
    Sector,
    SectorCategory,
    SectorGroup,
    Travellers,
)

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "reference"
MODALITY_CODES = (
    "study_tour",
    "expert_visit",
    "training_course",
    "workshop",
    "conference",
    "multi_stakeholder_dialogue",
    "twinning",
    "secondment",
    "community_of_practice",
    "knowledge_fair",
    "competition",
    "peer_review",
    "video_conference",
    "e_learning",
)
OUTCOME_CODES = (
    "raised_awareness",
    "enhanced_knowledge_skills",
    "improved_consensus_teamwork",
    "strengthened_coalitions",
    "enhanced_networks",
    "new_improved_actions",
)


def read_json(data_dir: Path, name: str) -> dict[str, Any]:
    """Read one reference file as a JSON object."""
    with (data_dir / name).open(encoding="utf-8") as handle:
        return cast(dict[str, Any], json.load(handle))


def load_sectors(data_dir: Path) -> tuple[list[SectorGroup], list[SectorCategory], list[Sector]]:
    """Sector groups, categories and 5-digit sectors from sectors.json, each sorted by code."""
    raw = read_json(data_dir, "sectors.json")
    groups = [SectorGroup(g["code"], g["name"], tuple(g["categories"])) for g in raw["sector_groups"]]
    categories = [SectorCategory(**c) for c in raw["sector_categories"]]
    sectors = [Sector(**s) for s in raw["sectors"]]
    return groups, categories, sectors


def load_sdgs(data_dir: Path) -> list[SdgGoal]:
    """The 17 goals from sdgs.json, each with its targets."""
    return [
        SdgGoal(
            number=g["number"],
            name=g["name"],
            targets=tuple(SdgTarget(t["code"], g["number"], t["text"]) for t in g["targets"]),
        )
        for g in read_json(data_dir, "sdgs.json")["goals"]
    ]


def load_regions(data_dir: Path) -> list[Region]:
    """M49 regions, sub-regions and intermediate regions from regions.json."""
    return [
        Region(r["code"], r["name"], cast(RegionLevel, r["level"]), r["parent"], tuple(r["members"]))
        for r in read_json(data_dir, "regions.json")["regions"]
    ]


def load_countries(data_dir: Path, regions: dict[str, Region]) -> list[Country]:
    """Countries from countries.json, linked to their ``Region`` entries."""
    countries = []
    for c in read_json(data_dir, "countries.json")["countries"]:
        income = c["income_level"]
        if income is not None and income not in INCOME_LEVELS:
            raise ValueError(f"countries.json: bad income level {income!r} for {c['alpha3']}")
        intermediate = c["intermediate_region"]
        countries.append(
            Country(
                alpha3=c["alpha3"],
                alpha2=c["alpha2"],
                m49=c["m49"],
                name=c["name"],
                formal_name=c["formal_name"],
                region=regions[c["region"]],
                sub_region=regions[c["sub_region"]],
                intermediate_region=regions[intermediate] if intermediate else None,
                income_level=cast(IncomeLevel | None, income),
                centroid_lat=c["centroid_lat"],
                centroid_lon=c["centroid_lon"],
                capital=c["capital"],
                capital_lat=c["capital_lat"],
                capital_lon=c["capital_lon"],
                capital_source=c["capital_source"],
                official_languages=tuple(c["official_languages"]),
                languages=tuple(c["languages"]),
                timezone=c["timezone"],
                utc_offset_hours=float(c["utc_offset_hours"]),
                aliases=tuple(c["aliases"]),
            )
        )
    return countries


def load_languages(data_dir: Path) -> list[Language]:
    """ISO 639-1 languages from languages.json."""
    return [Language(row["code"], row["name"]) for row in read_json(data_dir, "languages.json")["languages"]]


def load_modalities(data_dir: Path) -> list[Modality]:
    """The fourteen modalities from modalities.json, checked for order and consistency."""
    modalities = []
    for m in read_json(data_dir, "modalities.json")["modalities"]:
        cost = dict(m["cost"])
        cost["travellers"] = cast(Travellers, cost["travellers"])
        modalities.append(
            Modality(
                code=m["code"],
                name=m["name"],
                description=m["description"],
                delivery=cast(Delivery, m["delivery"]),
                international_travel=bool(m["international_travel"]),
                typical_days=int(m["typical_days"]),
                typical_group_size=int(m["typical_group_size"]),
                cost=ModalityCost(**cost),
                related=MappingProxyType({k: float(v) for k, v in m["related"].items()}),
            )
        )
    codes = tuple(m.code for m in modalities)
    if codes != MODALITY_CODES:
        raise ValueError(f"modalities.json: expected codes {MODALITY_CODES}, got {codes}")
    for m in modalities:
        bad = {k: v for k, v in m.related.items() if k not in codes or k == m.code or not 0 < v < 1}
        if bad:
            raise ValueError(f"modalities.json: invalid related credits for {m.code}: {bad}")
        if m.cost.travellers not in ("participants", "experts", "none"):
            raise ValueError(f"modalities.json: invalid travellers for {m.code}: {m.cost.travellers}")
    return modalities


def load_outcomes(data_dir: Path) -> list[Outcome]:
    """The six intermediate capacity outcomes from outcomes.json, in their fixed order."""
    outcomes = [Outcome(**o) for o in read_json(data_dir, "outcomes.json")["outcomes"]]
    codes = tuple(o.code for o in outcomes)
    if codes != OUTCOME_CODES:
        raise ValueError(f"outcomes.json: expected codes {OUTCOME_CODES}, got {codes}")
    return outcomes
