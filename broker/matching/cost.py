"""Transaction cost of a knowledge exchange: a planning estimate in USD and the cost factor in [0, 1].

The estimate is deliberately simple and transparent (assumptions, not quotes):

* An offer that states its own ``cost_usd`` is taken at its word for the delivery (fees, its staff
  and its travelling experts). The requesting participants' own travel is added when the modality
  moves them (``travellers == 1``), because the offering side cannot know where they come from.
* Otherwise the modality's planning parameters are used: ``fixed_usd`` + participants x
  ``per_participant_usd`` + travellers x (airfare + ``per_traveller_per_day_usd`` x ``typical_days``),
  where travellers are the participants, the modality's ``experts``, or nobody.
* Interpretation (``interpretation_per_day_usd`` x ``typical_days``) is added in both cases when the
  two sides share no working language.
* Airfare per traveller is an economy return ticket, linear in the capital-to-capital distance:
  ``airfare_base_usd + airfare_per_km_usd * km`` (default 200 + 0.11 USD/km: 1,080 USD for
  8,000 km). An unknown country counts as ``unknown_distance_km``.
* Participants default to the modality's typical group size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from broker.matching.arrays import FloatArray, IntArray
from broker.matching.tables import TRAVELLERS_EXPERTS, TRAVELLERS_PARTICIPANTS, CountryTables, ModalityTables


@dataclass(frozen=True)
class CostParams:
    """Constants of the cost estimate and of the cost factor.

    Attributes:
        airfare_base_usd: Airfare at distance 0 (a domestic return ticket), >= 0.
        airfare_per_km_usd: Airfare per km of capital-to-capital distance, >= 0.
        unknown_distance_km: Distance assumed when a country is unknown (a typical long-haul trip).
        within_budget_slope: Factor lost across the budget: cost == budget scores 1 - slope.
        over_budget_decay: Exponential decay per budget multiple above the budget.
        reference_cost_usd: Without a budget the factor is 1 / (1 + cost / reference_cost_usd).
    """

    airfare_base_usd: float = 200.0
    airfare_per_km_usd: float = 0.11
    unknown_distance_km: float = 6_000.0
    within_budget_slope: float = 0.4
    over_budget_decay: float = 2.0
    reference_cost_usd: float = 25_000.0

    def __post_init__(self) -> None:
        if min(self.airfare_base_usd, self.airfare_per_km_usd, self.unknown_distance_km) < 0:
            raise ValueError("airfare constants and unknown_distance_km must be >= 0")
        if (
            not 0 <= self.within_budget_slope <= 1
            or self.over_budget_decay < 0
            or self.reference_cost_usd <= 0
        ):
            raise ValueError(
                "need 0 <= within_budget_slope <= 1, over_budget_decay >= 0, reference_cost_usd > 0"
            )


def airfare_usd(distance_km: ArrayLike, params: CostParams) -> FloatArray:
    """Economy return airfare per traveller.

    Args:
        distance_km: Distances in km, >= 0, any shape.
        params: Cost constants.

    Returns:
        USD, same shape, >= ``airfare_base_usd`` and non-decreasing in the distance.
    """
    return params.airfare_base_usd + params.airfare_per_km_usd * np.asarray(distance_km, dtype=np.float64)


def pair_distance_km(
    demand_country: IntArray, supply_country: IntArray, countries: CountryTables, params: CostParams
) -> FloatArray:
    """Capital-to-capital distance of each pair.

    Args:
        demand_country: (n_d,) intp country indexes, -1 unknown.
        supply_country: (n_s,) intp country indexes, -1 unknown (n_d == 1, n_s == 1 or equal).
        countries: The distance matrix.
        params: ``unknown_distance_km`` for unknown countries.

    Returns:
        (n,) float64 km, >= 0.
    """
    matrix, unknown = countries.distance_km, params.unknown_distance_km
    if len(demand_country) == 1 or len(supply_country) == 1:
        one, many = (
            (demand_country[0], supply_country)
            if len(demand_country) == 1
            else (supply_country[0], demand_country)
        )
        line = matrix[one] if len(demand_country) == 1 else matrix[:, one]
        table = np.append(line, unknown) if one >= 0 else np.full(len(matrix) + 1, unknown)
        return table[many]  # index -1 (unknown) reads the appended entry
    known = (demand_country >= 0) & (supply_country >= 0)
    return np.where(known, matrix[demand_country, supply_country], unknown)


def estimate_exchange_cost(
    modality: NDArray[np.integer[Any]],
    *,
    participants: ArrayLike,
    distance_km: ArrayLike,
    shared_language: ArrayLike,
    cost_usd: ArrayLike,
    modalities: ModalityTables,
    params: CostParams,
) -> FloatArray:
    """Estimated total cost in USD of running each exchange in the given modality.

    All arguments broadcast against each other (see the module docstring for the formula).

    Args:
        modality: Modality indexes in [0, 14).
        participants: Number of participants, > 0, or NaN for the modality's typical group size.
        distance_km: Capital-to-capital distance in km, >= 0.
        shared_language: Whether the two sides share a working language (bool).
        cost_usd: The offer's stated delivery cost in USD, >= 0, or NaN when not stated.
        modalities: Cost parameters of the 14 modalities.
        params: Airfare constants.

    Returns:
        Broadcast-shaped float64 USD, >= 0; non-decreasing in participants, distance and stated cost,
        and never higher with a shared language than without.
    """
    m = modality
    people = np.asarray(participants, dtype=np.float64)
    people = np.where(np.isnan(people), modalities.typical_group_size[m], people)
    stated = np.asarray(cost_usd, dtype=np.float64)
    code = modalities.travellers[m]
    moving_participants = np.where(code == TRAVELLERS_PARTICIPANTS, people, 0.0)
    travellers = np.where(code == TRAVELLERS_EXPERTS, modalities.experts[m], moving_participants)
    days = modalities.typical_days[m]
    per_traveller = airfare_usd(distance_km, params) + modalities.per_traveller_per_day_usd[m] * days
    planned = (
        modalities.fixed_usd[m] + people * modalities.per_participant_usd[m] + travellers * per_traveller
    )
    with_stated = stated + moving_participants * per_traveller
    interpretation = np.where(
        np.asarray(shared_language, dtype=bool), 0.0, modalities.interpretation_per_day_usd[m] * days
    )
    return np.asarray(np.where(np.isnan(stated), planned, with_stated) + interpretation, dtype=np.float64)


@dataclass(frozen=True, slots=True, eq=False)
class CostParts:
    """The parts of ``estimate_exchange_cost``, each broadcast-shaped float64 USD >= 0.

    Attributes:
        fixed_usd: The modality's fixed cost, or the offer's stated delivery cost when it states one.
        participants_usd: Participants x per-participant cost (0 with a stated cost, which covers it).
        travel_usd: Travellers x (airfare + daily cost x days); with a stated cost only the requesting
            participants' own travel (the stated cost covers the offering side's experts).
        interpretation_usd: Interpretation for the modality's days when no language is shared.
    """

    fixed_usd: FloatArray
    participants_usd: FloatArray
    travel_usd: FloatArray
    interpretation_usd: FloatArray

    @property
    def total_usd(self) -> FloatArray:
        """The sum of the parts: the estimate."""
        total: FloatArray = self.fixed_usd + self.participants_usd + self.travel_usd + self.interpretation_usd
        return total


def exchange_cost_parts(
    modality: NDArray[np.integer[Any]],
    *,
    participants: ArrayLike,
    distance_km: ArrayLike,
    shared_language: ArrayLike,
    cost_usd: ArrayLike,
    modalities: ModalityTables,
    params: CostParams,
) -> CostParts:
    """The estimate of ``estimate_exchange_cost`` split into its parts (same arguments).

    Returns:
        The parts; ``total_usd`` equals ``estimate_exchange_cost`` of the same arguments.
    """
    m = modality
    people = np.asarray(participants, dtype=np.float64)
    people = np.where(np.isnan(people), modalities.typical_group_size[m], people)
    stated = np.asarray(cost_usd, dtype=np.float64)
    has_stated = ~np.isnan(stated)
    code = modalities.travellers[m]
    moving_participants = np.where(code == TRAVELLERS_PARTICIPANTS, people, 0.0)
    travellers = np.where(code == TRAVELLERS_EXPERTS, modalities.experts[m], moving_participants)
    days = modalities.typical_days[m]
    per_traveller = airfare_usd(distance_km, params) + modalities.per_traveller_per_day_usd[m] * days
    interpretation = np.where(
        np.asarray(shared_language, dtype=bool), 0.0, modalities.interpretation_per_day_usd[m] * days
    )
    fixed = np.where(has_stated, np.nan_to_num(stated), modalities.fixed_usd[m])
    per_people = np.where(has_stated, 0.0, people * modalities.per_participant_usd[m])
    travel = np.where(has_stated, moving_participants, travellers) * per_traveller
    shape = np.broadcast_shapes(fixed.shape, per_people.shape, travel.shape, interpretation.shape)
    return CostParts(
        *(
            np.broadcast_to(np.asarray(a, dtype=np.float64), shape).copy()
            for a in (fixed, per_people, travel, interpretation)
        )
    )


def cost_fit(cost_usd: ArrayLike, budget_usd: ArrayLike, params: CostParams) -> FloatArray:
    """Cost factor: how affordable an estimated cost is.

    With a budget ``b`` and ratio ``r = cost / b``: ``1 - slope * r`` within budget (so in [0.6, 1] by
    default), ``(1 - slope) * exp(-decay * (r - 1))`` above it, continuous at ``r = 1``. Without a
    budget: ``1 / (1 + cost / reference_cost_usd)`` (0.5 at 25,000 USD by default).

    Args:
        cost_usd: Estimated costs in USD, >= 0.
        budget_usd: Budgets in USD, > 0, or NaN for none; broadcasts against ``cost_usd``.
        params: Factor constants.

    Returns:
        Broadcast-shaped float64 in [0, 1], continuous and non-increasing in the cost.
    """
    cost = np.asarray(cost_usd, dtype=np.float64)
    budget = np.asarray(budget_usd, dtype=np.float64)
    if budget.ndim == 0 and np.isnan(budget):
        return 1.0 / (1.0 + cost / params.reference_cost_usd)
    ratio = cost / budget
    # Branch-free form of the two pieces: the exponential is exp(0) = 1 within budget, and the
    # linear part is frozen at 1 - slope above it.
    decay = np.exp(-params.over_budget_decay * np.maximum(ratio - 1.0, 0.0))
    with_budget: FloatArray = (1.0 - params.within_budget_slope * np.minimum(ratio, 1.0)) * decay
    if budget.ndim == 0:
        return with_budget
    no_budget = 1.0 / (1.0 + cost / params.reference_cost_usd)
    return np.asarray(np.where(np.isnan(budget), no_budget, with_budget), dtype=np.float64)
