"""Validation helpers: normalised results, readable UnknownCode messages, duplicate detection."""

from __future__ import annotations

import pytest

from broker.reference import (
    CodeListError,
    DuplicateCode,
    ReferenceData,
    UnknownCode,
    resolve_country,
    validate_countries,
    validate_income_levels,
    validate_languages,
    validate_modalities,
    validate_outcomes,
    validate_sdg_targets,
    validate_sdgs,
    validate_sectors,
    validate_sectors_or_groups,
)


def test_valid_lists_come_back_normalised_in_order(ref: ReferenceData) -> None:
    assert validate_sectors(["13040", 12250]) == ["13040", "12250"]
    assert validate_sdgs([3, "SDG 5", "17"]) == [3, 5, 17]
    assert validate_sdg_targets(["3.3", "3.D", "17.19"]) == ["3.3", "3.d", "17.19"]
    assert validate_countries(["Kenya", "br", "MOZ"]) == ["KEN", "BRA", "MOZ"]
    assert validate_languages(["fr", "English", "pt-BR"]) == ["fr", "en", "pt"]
    assert validate_modalities(["Study tour", "e-learning"]) == ["study_tour", "e_learning"]
    assert validate_outcomes(["raised_awareness"]) == ["raised_awareness"]
    assert validate_sectors([], ref=ref) == []


def test_unknown_sector_suggests_same_category_neighbours() -> None:
    with pytest.raises(UnknownCode) as caught:
        validate_sectors(["13040", "13041"])
    error = caught.value
    assert (error.field, error.value) == ("sector code", "13041")
    assert error.suggestions[0] == "13040"
    assert len(error.suggestions) == 3
    assert all(code.startswith("130") for code in error.suggestions)
    assert str(error).startswith(
        "unknown sector code '13041'; did you mean 13040 (STD control including HIV/AIDS), "
    )
    assert isinstance(error, ValueError) and isinstance(error, CodeListError)


def test_unknown_sector_name_suggests_by_name() -> None:
    with pytest.raises(UnknownCode) as caught:
        validate_sectors(["Teacher trainig"])
    assert caught.value.suggestions[0] == "11130"


def test_unknown_sector_outside_any_category_suggests_nearest_codes() -> None:
    with pytest.raises(UnknownCode) as caught:
        validate_sectors(["99999"])
    assert caught.value.suggestions == ["99820", "99810", "93018"]


def test_misspelt_country_suggests_close_names() -> None:
    with pytest.raises(UnknownCode) as caught:
        resolve_country("Keniya")
    assert caught.value.suggestions[0] == "KEN"
    assert "did you mean KEN (Kenya)" in str(caught.value)


@pytest.mark.parametrize(("typo", "alpha3"), [("Columbia", "COL"), ("Philipines", "PHL"), ("Brasil", "BRA")])
def test_common_country_misspellings_suggest_only_the_intended_country(typo: str, alpha3: str) -> None:
    with pytest.raises(UnknownCode) as caught:
        resolve_country(typo)
    assert caught.value.suggestions == [alpha3]


def test_mistyped_country_code_suggests_close_codes() -> None:
    with pytest.raises(UnknownCode) as caught:
        resolve_country("KEM")
    assert "KEN" in caught.value.suggestions
    assert len(caught.value.suggestions) <= 3


def test_nonsense_gets_no_suggestions() -> None:
    with pytest.raises(UnknownCode) as caught:
        resolve_country("zzzzzzzzzz")
    assert caught.value.suggestions == []
    assert str(caught.value) == "unknown country 'zzzzzzzzzz'"


@pytest.mark.parametrize(
    ("call", "bad", "expected"),
    [
        (validate_modalities, "studytour", "study_tour"),
        (validate_modalities, "video_confrence", "video_conference"),
        (validate_outcomes, "raised_awarness", "raised_awareness"),
        (validate_languages, "Frnech", "fr"),
        (validate_sdg_targets, "3.33", "3.3"),
    ],
)
def test_misspellings_get_the_right_first_suggestion(call: object, bad: str, expected: str) -> None:
    assert callable(call)
    with pytest.raises(UnknownCode) as caught:
        call([bad])
    assert caught.value.suggestions[0] == expected


def test_unknown_sdg_is_rejected() -> None:
    with pytest.raises(UnknownCode, match="unknown SDG '18'"):
        validate_sdgs([18])


@pytest.mark.parametrize(
    ("call", "values", "duplicate"),
    [
        (validate_sectors, ["13040", "12250", "13040"], "13040"),
        (validate_sdgs, [3, "SDG 3"], "SDG 3"),
        (validate_countries, ["Kenya", "KE"], "KE"),
        (validate_languages, ["fr", "French"], "French"),
        (validate_modalities, ["workshop", "Workshop"], "Workshop"),
        (validate_outcomes, ["enhanced_networks", "enhanced_networks"], "enhanced_networks"),
    ],
)
def test_duplicates_raise_naming_the_duplicate(call: object, values: list[str], duplicate: str) -> None:
    assert callable(call)
    with pytest.raises(DuplicateCode) as caught:
        call(values)
    assert caught.value.value == duplicate
    assert f"'{duplicate}'" in str(caught.value)


def test_duplicate_message_names_the_resolved_code() -> None:
    with pytest.raises(DuplicateCode, match=r"duplicate country 'KE' \(already given as KEN\)"):
        validate_countries(["Kenya", "KE"])


def test_window_sectors_take_groups_and_purpose_codes_but_not_categories() -> None:
    assert validate_sectors_or_groups(["120", "13040", " 110 "]) == ["120", "13040", "110"]
    with pytest.raises(UnknownCode) as category:
        validate_sectors_or_groups(["121"])  # Health, General: a category of group 120
    assert category.value.suggestions == ["120"]
    with pytest.raises(UnknownCode):
        validate_sectors_or_groups(["1304"])
    with pytest.raises(DuplicateCode):
        validate_sectors_or_groups(["120", "120"])


def test_income_levels_are_the_world_bank_four_in_any_case() -> None:
    assert validate_income_levels(["low", "UPPER MIDDLE", "High"]) == ["Low", "Upper middle", "High"]
    with pytest.raises(UnknownCode) as unknown:
        validate_income_levels(["lower-midle"])
    assert unknown.value.suggestions[0] == "Lower middle"
    with pytest.raises(DuplicateCode):
        validate_income_levels(["Low", "low"])
