"""Triangular matching: which funding windows could finance a (request, offer) pair, and how well.

A funder's window finances a South-South exchange when the pair passes every **hard rule**:

* the window is open on the day the exchange would start (``opens_on <= day <= closes_on``);
* the receiving side (the request's country) is eligible: it is in the window's receiving countries
  or regions when any are listed, and its income level is listed when income levels are;
* the providing side (the offer's country) likewise, with the providing lists;
* the exchange's modality is covered when the window lists modalities;
* the window pays what the pair needs: ``needed = cost x (1 - cofinancing_share)`` is at most the
  amount per exchange and at most what is left of the envelope.

Among eligible windows two **soft factors** say how well it fits, each in [0, 1]:

* sectors: 1 when the window names one of the pair's purpose codes, 0.75 when it names their
  sector group, 0.5 when it names no sectors (any sector), 0 otherwise;
* mandate: the cosine of the mandate's embedding with the request's, mapped linearly from
  ``[mandate_low, mandate_high]`` to [0, 1] (0.5 without a vector: neutral).

The triple's **combined score** is ``pair_score x (1 - w + w x window_fit)`` with
``window_fit = (sectors + mandate) / 2`` and ``w = WINDOW_WEIGHT``: a window can lower a pair's
score by at most ``w`` of it and never raise it above the pair's own, so a poor pair is not rescued
by a generous funder. The envelope enters only as a rule, so a larger envelope never lowers a
score, and an ineligible window is never scored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from numpy.typing import NDArray

from broker.matching import Reason

WINDOW_WEIGHT = 0.3
SECTOR_CODE, SECTOR_GROUP, SECTOR_ANY = 1.0, 0.75, 0.5
MANDATE_NEUTRAL = 0.5


@dataclass(frozen=True)
class Side:
    """Where one side of an exchange is: its country, the M49 regions it lies in, its income level."""

    country: str | None
    regions: frozenset[str] = frozenset()
    income: str | None = None


@dataclass(frozen=True)
class Eligibility:
    """Who a window finances: empty lists mean anyone."""

    countries: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()
    incomes: frozenset[str] = frozenset()

    def admits(self, side: Side) -> bool:
        if (self.countries or self.regions) and not (
            side.country in self.countries or side.regions & self.regions
        ):
            return False
        return not self.incomes or side.income in self.incomes

    def why(self, side: Side) -> dict[str, object]:
        """The listed place that admits ``side`` (country first, then its narrowest listed region)."""
        if side.country in self.countries:
            return {"country": side.country}
        shared = sorted(side.regions & self.regions)
        return {"region": shared[0]} if shared else {}


@dataclass(frozen=True)
class Window:
    """A funding window's terms, as the rules need them."""

    id: int
    funder_id: int
    receiving: Eligibility
    providing: Eligibility
    sectors: frozenset[str]  # 5-digit purpose codes and 3-digit group codes
    modalities: frozenset[str]
    max_per_exchange_usd: float
    remaining_usd: float
    cofinancing_share: float
    opens_on: date
    closes_on: date
    mandate_vector: NDArray[np.float32] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Pair:
    """A ranked (request, offer) pair, as the rules need it."""

    request_id: int
    offer_id: int
    score: float
    receiving: Side
    providing: Side
    sector_codes: frozenset[str]
    sector_groups: frozenset[str]
    modality: str
    cost_usd: float
    starts_on: date
    request_vector: NDArray[np.float32] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Triple:
    pair: Pair
    window: Window
    score: float
    window_fit: float
    sector_fit: float
    mandate_fit: float
    needed_usd: float
    reasons: list[Reason]


def needed_usd(pair: Pair, window: Window) -> float:
    """What the window would pay: the pair's cost less the co-financing the partners bring."""
    return pair.cost_usd * (1.0 - window.cofinancing_share)


def refusal(pair: Pair, window: Window) -> str | None:
    """The first hard rule the window fails for the pair (a short code), or None when eligible."""
    if not window.opens_on <= pair.starts_on <= window.closes_on:
        return "dates"
    if not window.receiving.admits(pair.receiving):
        return "receiving"
    if not window.providing.admits(pair.providing):
        return "providing"
    if window.modalities and pair.modality not in window.modalities:
        return "modality"
    need = needed_usd(pair, window)
    if need > window.max_per_exchange_usd:
        return "amount"
    if need > window.remaining_usd:
        return "envelope"
    return None


def sector_fit(pair: Pair, window: Window) -> float:
    if not window.sectors:
        return SECTOR_ANY
    if pair.sector_codes & window.sectors:
        return SECTOR_CODE
    if pair.sector_groups & window.sectors:
        return SECTOR_GROUP
    return 0.0


def mandate_fit(pair: Pair, window: Window, *, low: float, high: float) -> float:
    if pair.request_vector is None or window.mandate_vector is None or high <= low:
        return MANDATE_NEUTRAL
    a, b = pair.request_vector, window.mandate_vector
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    cosine = float(a @ b) / norm if norm > 0 else 0.0
    return float(np.clip((cosine - low) / (high - low), 0.0, 1.0))


def score_triple(
    pair: Pair, window: Window, *, mandate_low: float, mandate_high: float, weight: float = WINDOW_WEIGHT
) -> Triple | None:
    """The triple's combined score and reasons, or None when the window may not finance the pair."""
    if refusal(pair, window) is not None:
        return None
    sectors = sector_fit(pair, window)
    mandate = mandate_fit(pair, window, low=mandate_low, high=mandate_high)
    fit = (sectors + mandate) / 2.0
    need = needed_usd(pair, window)
    return Triple(
        pair=pair,
        window=window,
        score=pair.score * (1.0 - weight + weight * fit),
        window_fit=fit,
        sector_fit=sectors,
        mandate_fit=mandate,
        needed_usd=need,
        reasons=_reasons(pair, window, sectors, mandate, need),
    )


def _reasons(pair: Pair, window: Window, sectors: float, mandate: float, need: float) -> list[Reason]:
    covers = window.receiving.why(pair.receiving)
    reasons = [
        Reason(f"window.covers_{next(iter(covers))}", covers) if covers else Reason("window.covers_any", {}),
        Reason("window.pays", {"max_usd": window.max_per_exchange_usd, "needed_usd": need}),
    ]
    if window.cofinancing_share > 0:
        reasons.append(Reason("window.cofinancing", {"share": window.cofinancing_share}))
    if sectors == SECTOR_CODE:
        reasons.append(Reason("window.sector", {"sector": sorted(pair.sector_codes & window.sectors)}))
    elif sectors == SECTOR_GROUP:
        reasons.append(Reason("window.sector_group", {"group": sorted(pair.sector_groups & window.sectors)}))
    elif sectors == 0.0:
        reasons.append(Reason("window.sector_other", {}))
    if mandate != MANDATE_NEUTRAL or window.mandate_vector is not None:
        reasons.append(Reason("window.mandate", {"score": round(mandate, 2)}))
    return reasons


def rank_triples(
    pairs: Sequence[Pair],
    windows: Iterable[Window],
    *,
    mandate_low: float,
    mandate_high: float,
    weight: float = WINDOW_WEIGHT,
    limit: int | None = None,
) -> list[Triple]:
    """Every eligible (pair, window) triple, best combined score first (ties: pair order, window id)."""
    chosen = list(windows)
    found = [
        t
        for pair in pairs
        for window in chosen
        if (
            t := score_triple(pair, window, mandate_low=mandate_low, mandate_high=mandate_high, weight=weight)
        )
    ]
    found.sort(key=lambda t: (-t.score, t.pair.request_id, t.pair.offer_id, t.window.id))
    return found[:limit] if limit is not None else found
