"""Lookups on the real reference lists, checked against hand-verified facts."""

from __future__ import annotations

import math

import pytest

from broker.reference import ReferenceData, UnknownCode, get_reference, load_reference, stats
from broker.reference.loader import DEFAULT_DATA_DIR, MODALITY_CODES, OUTCOME_CODES


def test_counts_match_the_standard_lists(ref: ReferenceData) -> None:
    counts = stats()
    assert counts["sectors"] == 295
    assert counts["sector_categories"] == 42
    assert counts["sdg_goals"] == 17
    assert counts["sdg_targets"] == 169
    assert counts["modalities"] == 14
    assert counts["outcomes"] == 6
    assert counts["regions"] == 5
    assert 240 <= counts["countries"] <= 250
    assert counts["languages"] >= 180
    assert counts == ref.stats()


def test_get_reference_is_loaded_once() -> None:
    assert get_reference() is get_reference()
    assert load_reference(DEFAULT_DATA_DIR) is not get_reference()


def test_std_control_sector_sits_in_category_130(ref: ReferenceData) -> None:
    sector = ref.sector("13040")
    assert sector is not None
    assert sector.name == "STD control including HIV/AIDS"
    assert (sector.category, sector.group) == ("130", "130")
    assert sector.category_name == "Population Policies/Programmes & Reproductive Health"
    assert ref.sector(13040) == sector
    assert ref.sector("13041") is None


def test_sector_category_and_group_accept_sector_codes(ref: ReferenceData) -> None:
    category = ref.sector_category("12250")
    assert category is not None and category.code == "122"
    assert ref.sector_category("122") == category
    group = ref.sector_group("12250")
    assert group is not None and group.code == "120" and group.name == "Health"
    assert ref.sector_group("122") == group == ref.sector_group("120")
    assert "122" in group.categories


def test_codes_missing_from_the_group_csv_take_their_categorys_group(ref: ReferenceData) -> None:
    derived = [s for s in ref.sectors if s.group_source == "category"]
    assert len(derived) == 61
    sector = ref.sector("15116")  # Tax collection, newer than the group CSV
    assert sector is not None and sector.group_source == "category"
    assert (sector.category, sector.group, sector.group_name) == ("151", "150", "Government & Civil Society")


def test_search_sectors_ranks_name_matches_first(ref: ReferenceData) -> None:
    assert ref.search_sectors("hiv")[0].code == "13040"
    assert [s.code for s in ref.search_sectors("1304")] == ["13040"]
    assert ref.search_sectors("water supply")[0].category == "140"
    assert ref.search_sectors("   ") == []


def test_sdgs_have_their_targets(ref: ReferenceData) -> None:
    goal = ref.sdg(3)
    assert goal is not None and goal.name.startswith("Ensure healthy lives")
    assert ref.sdg("SDG 3") == ref.sdg("3") == ref.sdg("goal 3") == goal
    assert ref.sdg(18) is None and ref.sdg("x") is None
    assert [t.code for t in goal.targets][:3] == ["3.1", "3.2", "3.3"]
    target = ref.sdg_target("3.3")
    assert target is not None and target.goal == 3 and "AIDS" in target.text
    assert ref.sdg_target("3.D") == ref.sdg_target("3.d") is not None
    assert ref.sdg_target("17.b") is None


def test_kenya_region_chain(ref: ReferenceData) -> None:
    kenya = ref.country("KEN")
    assert kenya is not None
    assert kenya.intermediate_region is not None
    assert kenya.intermediate_region.name == "Eastern Africa"
    assert kenya.sub_region.name == "Sub-Saharan Africa"
    assert kenya.region.name == "Africa"
    assert kenya.income_level == "Lower middle"
    assert (kenya.capital, kenya.timezone, kenya.utc_offset_hours) == ("Nairobi", "Africa/Nairobi", 3.0)
    assert kenya.official_languages == ("sw", "en")
    assert "KEN" in kenya.intermediate_region.members
    assert ref.region("Eastern Africa") == ref.region("014") == ref.region("14") == kenya.intermediate_region


@pytest.mark.parametrize(
    ("value", "alpha3"),
    [
        ("KEN", "KEN"),
        ("ke", "KEN"),
        ("kenya", "KEN"),
        ("Bolivia", "BOL"),
        ("Tanzania", "TZA"),
        ("Viet Nam", "VNM"),
        ("Vietnam", "VNM"),
        ("Ivory Coast", "CIV"),
        ("Côte d'Ivoire", "CIV"),
        ("Cote d\u2019Ivoire", "CIV"),
        ("South Korea", "KOR"),
        ("Korea", "KOR"),
        ("North Korea", "PRK"),
        ("Laos", "LAO"),
        ("Russia", "RUS"),
        ("Iran", "IRN"),
        ("Syria", "SYR"),
        ("Moldova", "MDA"),
        ("Cape Verde", "CPV"),
        ("Swaziland", "SWZ"),
        ("Eswatini", "SWZ"),
        ("Turkey", "TUR"),
        ("Türkiye", "TUR"),
        ("Congo", "COG"),
        ("DR Congo", "COD"),
        ("the Gambia", "GMB"),
        ("UK", "GBR"),
        ("United States", "USA"),
        ("Republic of Kenya", "KEN"),
    ],
)
def test_country_resolves_codes_names_and_alternative_names(
    ref: ReferenceData, value: str, alpha3: str
) -> None:
    country = ref.country(value)
    assert country is not None and country.alpha3 == alpha3
    assert ref.resolve_country(value) == alpha3


def test_unknown_country_is_none_or_raises(ref: ReferenceData) -> None:
    assert ref.country("Atlantis") is None
    with pytest.raises(UnknownCode):
        ref.resolve_country("Atlantis")


def haversine_reference_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Independent spherical-law-of-cosines distance, R = 6371.0088 km."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    cos_c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return 6371.0088 * math.acos(max(-1.0, min(1.0, cos_c)))


def test_brasilia_maputo_distance_matches_independent_and_published_figures(ref: ReferenceData) -> None:
    independent = haversine_reference_km(-15.79, -47.88, -25.97, 32.57)  # Brasília, Maputo
    distance = ref.distance_km("BRA", "MOZ")
    assert distance == pytest.approx(independent, rel=0.01)
    assert distance == pytest.approx(8_315, rel=0.03)  # published great-circle figure, ~8,300 km
    assert ref.distance_km("Mozambique", "br") == pytest.approx(distance)
    assert ref.distance_km("KEN", "KEN") == 0.0


def test_capital_falls_back_to_centroid_where_unknown(ref: ReferenceData) -> None:
    tokelau = ref.country("TKL")
    assert tokelau is not None and tokelau.capital is None and tokelau.capital_source == "centroid"
    assert (tokelau.capital_lat, tokelau.capital_lon) == (tokelau.centroid_lat, tokelau.centroid_lon)
    assert ref.distance_km("TKL", "NZL") > 0


def test_utc_offsets_are_standard_time(ref: ReferenceData) -> None:
    assert ref.utc_offset_hours("IND") == 5.5
    assert ref.utc_offset_hours("NPL") == 5.75
    assert ref.utc_offset_hours("IRL") == 0.0  # GMT in winter despite the negative-DST encoding
    assert ref.utc_offset_hours("AUS") == 10.0
    assert ref.utc_offset_hours("BRA") == -3.0
    assert ref.utc_offset_difference_hours("BRA", "MOZ") == 5.0
    assert ref.utc_offset_difference_hours("MOZ", "BRA") == 5.0
    assert ref.utc_offset_difference_hours("WSM", "USA") == pytest.approx(6.0)  # +13 vs -5 wraps


def test_languages_by_code_and_name(ref: ReferenceData) -> None:
    french = ref.language("fr")
    assert french is not None and french.name == "French"
    assert ref.language("French") == ref.language("fr-CA") == ref.language("FR") == french
    assert ref.language("xx") is None
    philippines = ref.country("PHL")
    assert philippines is not None and "tl" in philippines.official_languages


def test_modalities_and_outcomes_keep_their_documented_order(ref: ReferenceData) -> None:
    assert tuple(m.code for m in ref.modalities) == MODALITY_CODES
    assert tuple(o.code for o in ref.outcomes) == OUTCOME_CODES
    study_tour = ref.modality("Study tour")
    assert study_tour is not None and study_tour.cost.travellers == "participants"
    expert_visit = ref.modality("expert-visit")
    assert (
        expert_visit is not None
        and expert_visit.cost.travellers == "experts"
        and expert_visit.cost.experts > 0
    )
    e_learning = ref.modality("E-learning")
    assert e_learning is not None and e_learning.delivery == "virtual" and not e_learning.international_travel
    assert e_learning.credit("training_course") > 0.5 and e_learning.credit("e_learning") == 1.0
    assert e_learning.credit("study_tour") == 0.0
    outcome = ref.outcome("New and improved actions")
    assert outcome is not None and outcome.code == "new_improved_actions"


def test_modalities_have_consistent_cost_parameters(ref: ReferenceData) -> None:
    for modality in ref.modalities:
        cost = modality.cost
        assert modality.typical_days > 0 and modality.typical_group_size > 0
        assert cost.fixed_usd >= 0 and cost.per_participant_usd >= 0 and cost.interpretation_per_day_usd >= 0
        travels = cost.travellers != "none"
        assert travels == (cost.per_traveller_per_day_usd > 0)
        assert (cost.travellers == "experts") == (cost.experts > 0)
        assert modality.international_travel == travels
        assert all(0 < credit < 1 for credit in modality.related.values())
