"""Small hand-made lookup tables and row builders for the matching tests.

Countries: 0 Kenya, 1 Uganda (Eastern Africa), 2 Nigeria (Western Africa), 3 Egypt (Northern Africa,
no intermediate region), 4 Brazil (South America), 5 India, 6 Bangladesh (Southern Asia, no
intermediate region). Sectors: 0 HIV and 1 reproductive health (same category 0, group 0), 2
infectious diseases (category 1) and 3 health policy (category 2), both group 1; 4 irrigation
(category 3, group 2). Modalities: 0 study tour (participants travel), 1 expert visit (2 experts
travel), 3 workshop, 12 video conference (nobody travels); the others are generic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields
from typing import TypeVar

import numpy as np
from hypothesis import HealthCheck, settings
from numpy.typing import ArrayLike, NDArray

from broker.matching import (
    CountryTables,
    DemandArrays,
    MatchTables,
    ModalityTables,
    PairRecords,
    SectorTables,
    SupplyArrays,
    build_demand,
    build_supply,
)

Side = TypeVar("Side", DemandArrays, SupplyArrays)
N_LANGUAGES = 70  # two bitset words, so multi-word sets are exercised
STUDY_TOUR, EXPERT_VISIT, WORKSHOP, VIDEO = 0, 1, 3, 12
KENYA, UGANDA, NIGERIA, EGYPT, BRAZIL, INDIA, BANGLADESH = range(7)
HIV, REPRODUCTIVE, INFECTIOUS, HEALTH_POLICY, IRRIGATION = range(5)
DETERMINISTIC = settings(
    derandomize=True, deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)


def make_tables() -> MatchTables:
    """The small tables described in the module docstring."""
    lat = np.radians([0.0, 1.0, 9.0, 27.0, -10.0, 21.0, 24.0])
    lon = np.radians([38.0, 32.0, 8.0, 30.0, -53.0, 78.0, 90.0])
    h = (
        np.sin((lat[:, None] - lat) / 2) ** 2
        + np.cos(lat)[:, None] * np.cos(lat) * np.sin((lon[:, None] - lon) / 2) ** 2
    )
    distance = np.round(2 * 6371.0 * np.arcsin(np.sqrt(h)))
    countries = CountryTables(
        region_of=np.array([0, 0, 0, 0, 1, 2, 2]),
        subregion_of=np.array([0, 0, 0, 1, 2, 3, 3]),
        intermediate_of=np.array([0, 0, 1, -1, 2, -1, -1]),
        income_of=np.array([1, 0, 1, 1, 2, 1, -1]),
        distance_km=distance,
    )
    sectors = SectorTables(category_of=np.array([0, 0, 1, 2, 3]), group_of=np.array([0, 0, 1, 1, 2]))
    fixed, per_participant = np.full(14, 1_000.0), np.full(14, 50.0)
    per_day, days, group = np.zeros(14), np.full(14, 2.0), np.full(14, 10.0)
    travellers, experts, interpretation = np.zeros(14, dtype=np.int8), np.zeros(14), np.full(14, 300.0)
    fixed[[STUDY_TOUR, EXPERT_VISIT, VIDEO]] = [2_000, 1_000, 300]
    per_participant[[STUDY_TOUR, EXPERT_VISIT, VIDEO]] = [100, 0, 0]
    per_day[[STUDY_TOUR, EXPERT_VISIT]] = [200, 250]
    days[[STUDY_TOUR, EXPERT_VISIT, VIDEO]] = [5, 5, 1]
    group[VIDEO] = 20
    travellers[[STUDY_TOUR, EXPERT_VISIT]] = [1, 2]
    experts[EXPERT_VISIT] = 2
    interpretation[[STUDY_TOUR, EXPERT_VISIT, VIDEO]] = [500, 500, 400]
    related = np.zeros((14, 14))
    related[STUDY_TOUR, EXPERT_VISIT] = 0.6
    related[STUDY_TOUR, VIDEO] = 0.3
    related[WORKSHOP, VIDEO] = 0.5
    modalities = ModalityTables(
        relatedness=related,
        fixed_usd=fixed,
        per_participant_usd=per_participant,
        per_traveller_per_day_usd=per_day,
        typical_days=days,
        typical_group_size=group,
        travellers=travellers,
        experts=experts,
        interpretation_per_day_usd=interpretation,
    )
    return MatchTables(sectors=sectors, countries=countries, modalities=modalities)


def unit(*weights: float, dim: int = 8) -> NDArray[np.float64]:
    """A unit vector with the given leading components (rest zero)."""
    vector = np.zeros(dim)
    vector[: len(weights)] = weights
    return vector / np.linalg.norm(vector)


def request(
    *,
    embedding: ArrayLike | None = None,
    sectors: Iterable[int] = (HIV,),
    country: int = KENYA,
    modalities: Iterable[int] = (STUDY_TOUR,),
    languages: Iterable[int] = (0,),
    budget_usd: float | None = 25_000.0,
    participants: float | None = None,
) -> DemandArrays:
    """One request (defaults: HIV, Kenya, study tour, language 0, budget 25,000)."""
    return build_demand(
        embedding=np.array([unit(1.0) if embedding is None else embedding], dtype=np.float64),
        sectors=[list(sectors)],
        country=[country],
        modalities=[list(modalities)],
        languages=[list(languages)],
        n_languages=N_LANGUAGES,
        budget_usd=[budget_usd],
        participants=[participants],
    )


def offers(*rows: dict[str, object]) -> SupplyArrays:
    """Offers from keyword dicts; missing keys default to HIV, Uganda, study tour, language 0."""
    defaults: dict[str, object] = {
        "embedding": unit(1.0),
        "sectors": (HIV,),
        "country": UGANDA,
        "modalities": (STUDY_TOUR,),
        "languages": (0,),
        "cost_usd": None,
    }
    filled = [{**defaults, **row} for row in rows]
    return build_supply(
        embedding=np.array([r["embedding"] for r in filled], dtype=np.float64),
        sectors=[list(r["sectors"]) for r in filled],  # type: ignore[call-overload]
        country=[r["country"] for r in filled],  # type: ignore[misc]
        modalities=[list(r["modalities"]) for r in filled],  # type: ignore[call-overload]
        languages=[list(r["languages"]) for r in filled],  # type: ignore[call-overload]
        n_languages=N_LANGUAGES,
        cost_usd=[r["cost_usd"] for r in filled],  # type: ignore[misc]
    )


def take(side: Side, rows: Sequence[int] | np.ndarray, **changes: np.ndarray) -> Side:
    """Rows of demand or supply arrays, with some fields replaced."""
    picked = {f.name: getattr(side, f.name)[np.asarray(rows)] for f in fields(side)}
    return type(side)(**{**picked, **changes})


def random_records(rng: np.random.Generator, n: int) -> PairRecords:
    """Track records of n pairs: a third without any, the rest with reports on and off the topic."""
    completed = rng.integers(0, 6, (n, 2)) * (rng.random((n, 1)) < 0.67)
    overall_completed = completed.sum(axis=1)
    topic_completed = completed[:, 0]
    rated = np.minimum(rng.integers(0, 6, n), overall_completed)
    topic_rated = np.minimum(rated, topic_completed)
    ratings = rng.uniform(1, 5, n)
    outcomes = np.minimum(rng.integers(0, 6, n), rated)
    topic = np.stack(
        [topic_completed, topic_rated, topic_rated * ratings, np.minimum(outcomes, topic_rated)], 1
    )
    overall = np.stack([overall_completed, rated, rated * ratings, outcomes], 1)
    return PairRecords(topic.astype(np.float64), overall.astype(np.float64))
