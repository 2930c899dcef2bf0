"""Choice of the exchange modality of each pair, with its modality fit, estimated cost and cost factor.

For each pair the chosen modality is, among the modalities the offer names, the one maximising its
joint contribution ``w_modality * fit + w_cost * cost_fit`` (ties go to the lower modality index).
``fit`` is 1.0 for a preferred modality, the best relatedness to a preferred one otherwise, and 1.0
for every modality when the request states no preference (then the choice is simply the cheapest).

Why joint rather than "exact match first, then most related, then cheapest": with exact-first, adding
the requested (expensive) modality to an offer could displace a cheap related one and lower the
score. Maximising the joint contribution makes the pair's score a maximum over the offered
modalities, so offering more modalities, a lower cost or a shared language can never lower it. In
the common case (an exact match of comparable cost) both rules agree.

Offered modalities are walked column by column over padded index rows ("slots"), which keeps every
numpy operation one-dimensional and contiguous.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from broker.matching.arrays import (
    ALL_MODALITIES,
    N_MODALITIES,
    DemandArrays,
    FloatArray,
    MaskArray,
    SupplyArrays,
)
from broker.matching.cost import CostParams, cost_fit, estimate_exchange_cost, pair_distance_km
from broker.matching.factors import pair_count
from broker.matching.tables import MatchTables

SlotArray = NDArray[np.intp]
_BITS = (np.arange(ALL_MODALITIES + 1)[:, None] >> np.arange(N_MODALITIES)) & 1
POPCOUNT: NDArray[np.int8] = _BITS.sum(axis=1).astype(np.int8)
# Row = mask: its set bit positions in ascending order, then N_MODALITIES as padding.
SLOTS: SlotArray = np.sort(np.where(_BITS == 1, np.arange(N_MODALITIES), N_MODALITIES), axis=1)
_PAD = N_MODALITIES
_INVALID = 10.0  # subtracted from a padding slot's value; valid values lie in [0, 1]


@dataclass(frozen=True, slots=True, eq=False)
class ModalityChoice:
    """The modality chosen for each pair and what follows from it.

    Attributes:
        modality: (n,) intp chosen modality index in [0, 14).
        fit: (n,) float64 modality factor of the chosen modality, in [0, 1].
        cost_usd: (n,) float64 estimated cost in USD, >= 0.
        cost_fit: (n,) float64 cost factor, in [0, 1].
    """

    modality: NDArray[np.intp]
    fit: FloatArray
    cost_usd: FloatArray
    cost_fit: FloatArray


def offered_slots(masks: MaskArray) -> SlotArray:
    """Expand modality masks into padded index rows.

    Args:
        masks: (n,) uint16 modality masks, each non-zero.

    Returns:
        (n, k) intp set modality indexes in ascending order, padded with 14, where k is the largest
        number of modalities in any mask (at least 1).
    """
    width = max(1, int(POPCOUNT[masks].max(initial=0)))
    return SLOTS[masks, :width]


def choose_modality(
    demand: DemandArrays,
    supply: SupplyArrays,
    shared: NDArray[np.bool_],
    tables: MatchTables,
    *,
    weights: tuple[float, float],
    params: CostParams,
    slots: SlotArray | None = None,
) -> ModalityChoice:
    """Choose each pair's modality and estimate its cost (see the module docstring for the rule).

    Args:
        demand: Requests, n_d rows.
        supply: Offers, n_s rows (n_d == 1, n_s == 1 or equal).
        shared: (n,) bool, whether each pair shares a working language.
        tables: Lookup tables.
        weights: Normalised (modality, cost) weights, each >= 0.
        params: Cost constants.
        slots: ``offered_slots(supply.modalities)`` when already known (an index keeps it).

    Returns:
        The choice for each of the n pairs.
    """
    pair_count(len(demand), len(supply))
    slots = offered_slots(supply.modalities) if slots is None else slots
    if len(demand) == 1:
        return _choose_for_one_request(demand, supply, shared, slots, tables, weights, params)
    distance = pair_distance_km(demand.country, supply.country, tables.countries, params)
    fit_rows = tables.modalities.preference_fit[demand.modalities]

    def cost_of(modality: NDArray[np.intp]) -> FloatArray:
        return estimate_exchange_cost(
            modality, participants=demand.participants, distance_km=distance, shared_language=shared,
            cost_usd=supply.cost_usd, modalities=tables.modalities, params=params,
        )  # fmt: skip

    def value_of(column: SlotArray) -> FloatArray:
        modality = np.minimum(column, N_MODALITIES - 1)
        fit = fit_rows[0][column] if len(fit_rows) == 1 else fit_rows[np.arange(len(fit_rows)), column]
        factor = cost_fit(cost_of(modality), demand.budget_usd, params)
        value: FloatArray = weights[0] * fit + weights[1] * factor - (column == _PAD) * _INVALID
        return value

    full = np.broadcast_to(slots, (len(distance), slots.shape[1]))
    chosen = _best_slot([full[:, j] for j in range(full.shape[1])], value_of)
    cost = cost_of(np.minimum(chosen, N_MODALITIES - 1))
    fit = fit_rows[0][chosen] if len(fit_rows) == 1 else fit_rows[np.arange(len(chosen)), chosen]
    return ModalityChoice(chosen, fit, cost, cost_fit(cost, demand.budget_usd, params))


def _best_slot(columns: list[SlotArray], value_of: Callable[[SlotArray], FloatArray]) -> SlotArray:
    """Modality of the slot column with the highest value per row (the first one on ties)."""
    chosen = columns[0].copy()
    best = value_of(chosen)
    for candidate in columns[1:]:
        value = value_of(candidate)
        better = value > best
        best = np.maximum(best, value)
        chosen += better * (candidate - chosen)  # branch-free select (np.where is slower here)
    return chosen


def _choose_for_one_request(
    demand: DemandArrays,
    supply: SupplyArrays,
    shared: NDArray[np.bool_],
    slots: SlotArray,
    tables: MatchTables,
    weights: tuple[float, float],
    params: CostParams,
) -> ModalityChoice:
    """One request against n offers.

    Without a stated cost, an offer's cost depends only on (its country, shared language or not,
    modality): that grid is evaluated once and gathered. With a stated cost, the cost is the stated
    cost plus the grid's add-on (participants' travel, interpretation), evaluated per offer.
    """
    n_keys = tables.countries.n_countries + 1  # the last key is "unknown country"
    domain = np.append(np.arange(n_keys - 1, dtype=np.intp), -1)
    distance = pair_distance_km(demand.country, domain, tables.countries, params)
    fit_row = tables.modalities.preference_fit[demand.modalities[0]]
    budget = demand.budget_usd[0]
    width = N_MODALITIES + 1  # 14 modalities and the padding slot

    # Flat (without/with stated cost, country key, [shared, not shared], slot) tables; the padding
    # slot costs 0 and a country of -1 wraps around to the last ("unknown") key.
    grids = np.zeros((2, n_keys, 2, width))
    grids[..., :N_MODALITIES] = estimate_exchange_cost(
        np.arange(N_MODALITIES),
        participants=demand.participants[0],
        distance_km=distance[:, None, None],
        shared_language=np.array([True, False])[:, None],
        cost_usd=np.array([np.nan, 0.0])[:, None, None, None],
        modalities=tables.modalities,
        params=params,
    )
    planned, add_on = grids[0].ravel(), grids[1].ravel()
    planned_fit = cost_fit(planned, budget, params)
    planned_value = weights[0] * np.tile(fit_row, 2 * n_keys) + weights[1] * planned_fit
    planned_value[N_MODALITIES::width] = -np.inf
    base = supply.country * (2 * width) + (~shared) * width  # negative for country -1: wraps as intended
    columns = [slots[:, j] for j in range(slots.shape[1])]
    chosen = _best_slot(columns, lambda column: planned_value[base + column])
    cell = base + chosen
    out = ModalityChoice(chosen, fit_row[chosen], planned[cell], planned_fit[cell])
    stated = np.flatnonzero(~np.isnan(supply.cost_usd))
    if len(stated):
        own, base_s = supply.cost_usd[stated], base[stated]

        def value_of(column: SlotArray) -> FloatArray:
            factor = cost_fit(own + add_on[base_s + column], budget, params)
            value: FloatArray = (
                weights[0] * fit_row[column] + weights[1] * factor - (column == _PAD) * _INVALID
            )
            return value

        chosen_s = _best_slot([column[stated] for column in columns], value_of)
        cost_s = own + add_on[base_s + chosen_s]
        out.modality[stated] = chosen_s
        out.fit[stated] = fit_row[chosen_s]
        out.cost_usd[stated] = cost_s
        out.cost_fit[stated] = cost_fit(cost_s, budget, params)
    return out
