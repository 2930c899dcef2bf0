"""Each non-cost factor against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from broker.matching import (
    FactorParams,
    cosine_similarity,
    language_bits,
    language_fit,
    pad_codes,
    region_fit,
    sector_fit,
    semantic_fit,
    shares_language,
)
from tests.matching.builders import (
    BANGLADESH,
    BRAZIL,
    EGYPT,
    HEALTH_POLICY,
    HIV,
    INDIA,
    INFECTIOUS,
    IRRIGATION,
    KENYA,
    NIGERIA,
    REPRODUCTIVE,
    UGANDA,
    make_tables,
    unit,
)

PARAMS = FactorParams()
TABLES = make_tables()


def test_cosine_similarity_of_unit_vectors_in_every_pairing_mode() -> None:
    demand = np.array([unit(1.0), unit(0.0, 1.0)])
    supply = np.array([unit(1.0, 1.0), unit(1.0)])
    expected = [np.sqrt(0.5), 0.0]
    assert cosine_similarity(demand, supply) == pytest.approx(expected)
    assert cosine_similarity(demand[:1], supply) == pytest.approx([np.sqrt(0.5), 1.0])
    assert cosine_similarity(demand, supply[1:]) == pytest.approx([1.0, 0.0])
    with pytest.raises(ValueError, match="cannot pair"):
        cosine_similarity(np.zeros((2, 8)), np.zeros((3, 8)))


def test_semantic_fit_maps_low_to_zero_high_to_one_and_clips() -> None:
    cosine = np.array([-0.5, 0.1, 0.45, 0.8, 0.95])
    assert semantic_fit(cosine, PARAMS) == pytest.approx([0.0, 0.0, 0.5, 1.0, 1.0])


@pytest.mark.parametrize(
    ("demand", "supply", "expected"),
    [
        ([HIV], [HIV], 1.0),
        ([HIV], [REPRODUCTIVE], 0.6),  # same 3-digit category
        ([INFECTIOUS], [HEALTH_POLICY], 0.3),  # same sector group only
        ([HIV], [IRRIGATION], 0.0),
        ([HIV, IRRIGATION], [HEALTH_POLICY, IRRIGATION], 1.0),  # best pair wins
        ([REPRODUCTIVE, INFECTIOUS], [HIV, HEALTH_POLICY], 0.6),
        ([], [HIV], 0.5),  # no sector on the request: neutral
        ([HIV], [], 0.5),
    ],
)
def test_sector_fit_levels(demand: list[int], supply: list[int], expected: float) -> None:
    d, s = pad_codes([demand], width=2), pad_codes([supply], width=2)
    assert sector_fit(d, s, TABLES.sectors, PARAMS) == pytest.approx([expected])
    many = np.repeat(s, 3, axis=0)  # the one-vs-many (tabulated) path agrees with the pairwise one
    assert sector_fit(d, many, TABLES.sectors, PARAMS) == pytest.approx([expected] * 3)
    assert sector_fit(many, d, TABLES.sectors, PARAMS) == pytest.approx([expected] * 3)
    assert sector_fit(np.repeat(d, 3, axis=0), many, TABLES.sectors, PARAMS) == pytest.approx([expected] * 3)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (KENYA, KENYA, 1.0),  # same country, capped at 1
        (KENYA, UGANDA, 0.85 + 0.07),  # same intermediate region, adjacent income
        (KENYA, NIGERIA, 0.7 + 0.15),  # same sub-region, other intermediate region, same income
        (KENYA, EGYPT, 0.55 + 0.15),  # same region
        (KENYA, BRAZIL, 0.25 + 0.07),
        (INDIA, BANGLADESH, 0.85),  # same sub-region without intermediate regions; income unknown
        (KENYA, -1, 0.5),  # unknown country: neutral
    ],
)
def test_region_fit_levels_and_income_credit(a: int, b: int, expected: float) -> None:
    assert region_fit(np.array([a]), np.array([b]), TABLES.countries, PARAMS) == pytest.approx([expected])
    assert region_fit(np.array([b]), np.array([a, a]), TABLES.countries, PARAMS) == pytest.approx(
        [expected] * 2
    )
    pairwise = region_fit(np.array([a, b]), np.array([b, a]), TABLES.countries, PARAMS)
    assert pairwise == pytest.approx([expected] * 2)


def test_region_levels_must_leave_room_for_the_income_credit() -> None:
    with pytest.raises(ValueError, match="income_same"):
        FactorParams(region_local=0.8)  # 0.8 < 0.7 + 0.15


def test_shared_language_uses_every_bitset_word() -> None:
    demand = language_bits([[2, 66]], 70)
    supply = language_bits([[66], [2, 5], [5, 69], []], 70)
    shared = shares_language(demand, supply)
    assert shared.tolist() == [True, True, False, False]
    assert language_fit(shared, PARAMS).tolist() == [1.0, 1.0, 0.3, 0.3]


def test_language_bits_rejects_unknown_codes() -> None:
    with pytest.raises(ValueError, match="outside"):
        language_bits([[70]], 70)
