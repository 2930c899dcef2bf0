"""Numpy tables for the matching core: shapes, alignment with the lists, and numeric checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.reference import ReferenceData, get_tables
from broker.reference.geo import haversine_km, haversine_matrix_km
from broker.reference.loader import MODALITY_CODES


def test_tables_are_built_once(ref: ReferenceData) -> None:
    assert get_tables() is ref.tables


def test_country_indexes_follow_the_country_list(ref: ReferenceData) -> None:
    t = ref.tables
    n = len(ref.countries)
    assert t.country_codes == tuple(c.alpha3 for c in ref.countries)
    assert [t.country_index[c] for c in t.country_codes] == list(range(n))
    for array in (
        t.country_region_idx,
        t.country_subregion_idx,
        t.country_intermediate_idx,
        t.country_income_idx,
    ):
        assert array.shape == (n,) and array.dtype == np.int64
    ken = t.country_index["KEN"]
    assert t.region_codes[t.country_region_idx[ken]] == "002"
    assert t.subregion_codes[t.country_subregion_idx[ken]] == "202"
    assert t.intermediate_codes[t.country_intermediate_idx[ken]] == "014"
    assert t.income_levels[t.country_income_idx[ken]] == "Lower middle"
    assert t.country_intermediate_idx[t.country_index["IND"]] == -1
    assert t.country_language_mask.shape == (n, len(ref.languages))
    assert t.country_language_mask[ken, t.language_index["sw"]]
    assert not t.country_language_mask[ken, t.language_index["fr"]]


def test_income_index_is_minus_one_only_where_income_is_unknown(ref: ReferenceData) -> None:
    t = ref.tables
    unknown = [c.income_level is None for c in ref.countries]
    assert list(t.country_income_idx == -1) == unknown
    assert set(t.country_income_idx[t.country_income_idx >= 0].tolist()) == {0, 1, 2, 3}


def test_sector_indexes_point_at_their_category_and_group(ref: ReferenceData) -> None:
    t = ref.tables
    i = t.sector_index["13040"]
    assert t.category_codes[t.sector_category_idx[i]] == "130"
    assert t.group_codes[t.sector_group_idx[i]] == "130"
    assert t.sector_category_idx.shape == t.sector_group_idx.shape == (len(ref.sectors),)
    assert t.sector_category_idx.min() >= 0 and t.sector_group_idx.min() >= 0


def test_modality_relatedness_is_symmetric_with_unit_diagonal(ref: ReferenceData) -> None:
    t = ref.tables
    m = t.modality_relatedness
    assert t.modality_codes == MODALITY_CODES
    assert m.shape == (14, 14) and m.dtype == np.float64
    np.testing.assert_array_equal(np.diag(m), np.ones(14))
    np.testing.assert_array_equal(m, m.T)
    off = m[~np.eye(14, dtype=bool)]
    assert off.min() >= 0.0 and off.max() < 1.0
    vc, conf = t.modality_index["video_conference"], t.modality_index["conference"]
    assert 0 < m[vc, conf] < 1
    for a in ref.modalities:
        for b, credit in a.related.items():
            assert m[t.modality_index[a.code], t.modality_index[b]] >= credit


def test_modality_cost_arrays_align_with_modalities(ref: ReferenceData) -> None:
    t = ref.tables
    for i, modality in enumerate(ref.modalities):
        assert t.travellers[t.modality_travellers_idx[i]] == modality.cost.travellers
        assert t.modality_fixed_usd[i] == modality.cost.fixed_usd
        assert t.modality_experts[i] == modality.cost.experts
        assert t.modality_per_traveller_per_day_usd[i] == modality.cost.per_traveller_per_day_usd
        assert t.modality_per_participant_usd[i] == modality.cost.per_participant_usd
        assert t.modality_interpretation_per_day_usd[i] == modality.cost.interpretation_per_day_usd
        assert t.modality_typical_days[i] == modality.typical_days
        assert t.modality_international_travel[i] == modality.international_travel


def test_arrays_are_read_only(ref: ReferenceData) -> None:
    with pytest.raises(ValueError, match="read-only"):
        ref.tables.modality_relatedness[0, 1] = 0.5
    with pytest.raises(ValueError, match="read-only"):
        ref.tables.country_distance_km[0, 1] = 0.0


def test_distance_matrix_matches_the_scalar_distance(ref: ReferenceData) -> None:
    t = ref.tables
    d = t.country_distance_km
    n = len(ref.countries)
    assert d.shape == (n, n) and d.dtype == np.float64
    np.testing.assert_array_equal(d, d.T)
    np.testing.assert_array_equal(np.diag(d), np.zeros(n))
    bra, moz = t.country_index["BRA"], t.country_index["MOZ"]
    assert d[bra, moz] == pytest.approx(ref.distance_km("BRA", "MOZ"), rel=1e-9)
    assert t.country_distance_km is d


latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(latitudes, longitudes), min_size=2, max_size=6))
def test_vectorised_haversine_agrees_with_scalar_and_is_a_metric(points: list[tuple[float, float]]) -> None:
    lat, lon = np.array(points).T
    d = haversine_matrix_km(lat, lon)
    for i, (la, lo) in enumerate(points):
        for j, (lb, lob) in enumerate(points):
            assert d[i, j] == pytest.approx(haversine_km(la, lo, lb, lob), abs=1e-6)
            assert 0.0 <= d[i, j] <= np.pi * 6371.0088 + 1e-6
    i, j, k = 0, 1, len(points) - 1
    assert d[i, k] <= d[i, j] + d[j, k] + 1e-6  # triangle inequality
