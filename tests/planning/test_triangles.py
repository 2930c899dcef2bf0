"""Triangular matching rules: each hard rule refuses on its own, an ineligible window never appears,
and the combined score is bounded by the pair's and never lowered by a larger envelope."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.planning.triangles import (
    WINDOW_WEIGHT,
    Eligibility,
    Pair,
    Side,
    Window,
    rank_triples,
    refusal,
    score_triple,
)

MOZ = Side("MOZ", frozenset({"002", "202", "014"}), "Low")
BRA = Side("BRA", frozenset({"019", "419", "005"}), "Upper middle")
KEN = Side("KEN", frozenset({"002", "202", "014"}), "Lower middle")
DAY = date(2027, 3, 1)
BOUNDS = {"mandate_low": 0.0, "mandate_high": 1.0}


def pair(**changes: object) -> Pair:
    base = Pair(
        request_id=1, offer_id=2, score=0.8, receiving=MOZ, providing=BRA,
        sector_codes=frozenset({"11220"}), sector_groups=frozenset({"110"}),
        modality="study_tour", cost_usd=40_000.0, starts_on=DAY,
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def window(**changes: object) -> Window:
    base = Window(
        id=10, funder_id=99, receiving=Eligibility(countries=frozenset({"MOZ", "AGO"})),
        providing=Eligibility(), sectors=frozenset({"110"}), modalities=frozenset({"study_tour"}),
        max_per_exchange_usd=50_000.0, remaining_usd=200_000.0, cofinancing_share=0.2,
        opens_on=date(2027, 1, 1), closes_on=date(2027, 12, 31),
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def test_an_eligible_window_says_what_it_covers_pays_and_asks() -> None:
    triple = score_triple(pair(), window(), **BOUNDS)
    assert triple is not None
    assert triple.needed_usd == 32_000.0
    codes = {r.code: r.params for r in triple.reasons}
    assert codes["window.covers_country"] == {"country": "MOZ"}
    assert codes["window.pays"] == {"max_usd": 50_000.0, "needed_usd": 32_000.0}
    assert codes["window.cofinancing"] == {"share": 0.2}
    assert codes["window.sector_group"] == {"group": ["110"]}
    assert triple.sector_fit == 0.75 and triple.mandate_fit == 0.5


def test_each_hard_rule_refuses_on_its_own() -> None:
    cases = {
        "dates": window(closes_on=DAY - timedelta(days=1)),
        "receiving": window(receiving=Eligibility(countries=frozenset({"AGO"}))),
        "providing": window(providing=Eligibility(regions=frozenset({"142"}))),
        "modality": window(modalities=frozenset({"expert_visit"})),
        "amount": window(max_per_exchange_usd=31_999.0),
        "envelope": window(remaining_usd=31_999.0),
    }
    for rule, w in cases.items():
        assert refusal(pair(), w) == rule
        assert score_triple(pair(), w, **BOUNDS) is None
    # Regions admit by any level, and an income filter applies on top of the place.
    africa_low = Eligibility(regions=frozenset({"002"}), incomes=frozenset({"Low"}))
    assert africa_low.admits(MOZ) and not africa_low.admits(KEN) and not africa_low.admits(BRA)
    assert Eligibility().admits(BRA)


def test_sector_fit_prefers_the_code_to_the_group_to_any_to_other() -> None:
    fits = [
        score_triple(pair(), window(sectors=s), **BOUNDS).sector_fit  # type: ignore[union-attr]
        for s in (frozenset({"11220"}), frozenset({"110"}), frozenset(), frozenset({"120"}))
    ]
    assert fits == [1.0, 0.75, 0.5, 0.0]


def test_the_mandate_counts_through_its_cosine_with_the_request() -> None:
    v = np.array([1.0, 0.0], dtype=np.float32)
    close = score_triple(pair(request_vector=v), window(mandate_vector=v), **BOUNDS)
    far = score_triple(
        pair(request_vector=v), window(mandate_vector=np.array([0.0, 1.0], dtype=np.float32)), **BOUNDS
    )
    assert close is not None and far is not None
    assert close.mandate_fit == 1.0 and far.mandate_fit == 0.0 and close.score > far.score


sides = st.sampled_from([MOZ, BRA, KEN, Side(None)])
places = st.frozensets(st.sampled_from(["MOZ", "BRA", "KEN", "AGO"]), max_size=2)
regions = st.frozensets(st.sampled_from(["002", "019", "202", "142"]), max_size=2)
incomes = st.frozensets(st.sampled_from(["Low", "Lower middle", "Upper middle", "High"]), max_size=2)
eligibility = st.builds(Eligibility, countries=places, regions=regions, incomes=incomes)
money = st.floats(min_value=0, max_value=200_000, allow_nan=False)
days = st.integers(min_value=-60, max_value=60).map(lambda d: DAY + timedelta(days=d))
vectors = st.none() | st.lists(st.floats(-1, 1), min_size=3, max_size=3).map(
    lambda v: np.array(v, dtype=np.float32)
)
pairs = st.builds(
    pair,
    score=st.floats(0, 1),
    receiving=sides,
    providing=sides,
    sector_codes=st.frozensets(st.sampled_from(["11220", "12220", "15111"]), max_size=2),
    sector_groups=st.frozensets(st.sampled_from(["110", "120", "150"]), max_size=2),
    modality=st.sampled_from(["study_tour", "expert_visit"]),
    cost_usd=money,
    starts_on=days,
    request_vector=vectors,
)
windows = st.builds(
    window,
    id=st.integers(1, 50),
    receiving=eligibility,
    providing=eligibility,
    sectors=st.frozensets(st.sampled_from(["110", "120", "11220", "15111"]), max_size=2),
    modalities=st.frozensets(st.sampled_from(["study_tour", "expert_visit"]), max_size=2),
    max_per_exchange_usd=money,
    remaining_usd=money,
    cofinancing_share=st.floats(0, 0.95),
    opens_on=days,
    closes_on=days,
    mandate_vector=vectors,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(pairs, min_size=1, max_size=4), st.lists(windows, min_size=1, max_size=5))
def test_an_ineligible_window_never_appears(ps: list[Pair], ws: list[Window]) -> None:
    ranked = rank_triples(ps, ws, **BOUNDS)
    assert all(refusal(t.pair, t.window) is None for t in ranked)
    expected = sum(refusal(p, w) is None for p in ps for w in ws)
    assert len(ranked) == expected
    assert [t.score for t in ranked] == sorted((t.score for t in ranked), reverse=True)


@settings(max_examples=300, deadline=None)
@given(pairs, windows, money, st.floats(0, 0.95))
def test_more_envelope_or_co_financing_never_lowers_a_score(
    p: Pair, w: Window, more: float, cofinancing: float
) -> None:
    before = score_triple(p, w, **BOUNDS)
    richer = score_triple(p, replace(w, remaining_usd=w.remaining_usd + more), **BOUNDS)
    if before is not None:
        assert richer is not None and richer.score == before.score
        assert p.score * (1 - WINDOW_WEIGHT) - 1e-9 <= before.score <= p.score + 1e-9
    shared = score_triple(p, replace(w, cofinancing_share=max(cofinancing, w.cofinancing_share)), **BOUNDS)
    if before is not None:
        assert shared is not None and shared.score == before.score
