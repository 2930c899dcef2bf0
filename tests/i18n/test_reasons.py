"""Reason sentences per locale, from codes and parameters."""

from __future__ import annotations

import pytest

from broker.i18n import REASON_CODES, SUPPORTED_LOCALES, render_reason, stored_reasons
from broker.matching import Reason

NBSP, NNBSP = "\xa0", "\u202f"
# One reason per code, with real reference codes.
SAMPLES = {
    "semantic.close": {"score": 0.8234},
    "semantic.partial": {"score": 0.45},
    "semantic.weak": {"score": 0.1},
    "sector.inferred_request": {"sectors": ["12110", "11220"]},
    "sector.inferred_offer": {"sectors": ["12110"]},
    "sector.same_code": {"sector": "11220"},
    "sector.same_category": {"category": "112"},
    "sector.same_group": {"group": "120"},
    "sector.different": {"sector": "31140"},
    "region.same_country": {"country": "MOZ"},
    "region.same_subregion": {"region": "014"},
    "region.same_region": {"region": "019"},
    "region.different": {"supply_country": "BRA", "demand_country": "MOZ"},
    "income.same": {"income": "lower_middle"},
    "income.neighbouring": {},
    "modality.proposed": {"modality": "workshop"},
    "modality.preferred": {"modality": "study_tour"},
    "modality.outside": {"modality": "twinning"},
    "modality.related": {"modality": "expert_visit", "requested": "study_tour"},
    "modality.substituted": {"modality": "expert_visit", "requested": "study_tour", "saving_usd": 12_040.0},
    "modality.substituted_unrelated": {
        "modality": "e_learning",
        "requested": "study_tour",
        "saving_usd": 8_000.0,
    },
    "language.shared": {"languages": ["pt"]},
    "language.none": {},
    "cost.estimate": {"cost_usd": 17_885.0},
    "cost.within_budget": {"cost_usd": 17_885.0, "budget_usd": 25_000.0},
    "cost.over_budget": {"cost_usd": 31_260.0, "budget_usd": 25_000.0},
    "relevance.weak": {"relevance": 0.31, "share": 0.4},
    "track_record.topic": {"count": 2, "rating": 4.5, "value": 0.58},
    "track_record.topic_unrated": {"count": 1, "value": 0.52},
    "track_record.elsewhere": {"count": 3, "rating": 4.0, "value": 0.54},
    "track_record.elsewhere_unrated": {"count": 1, "value": 0.51},
    "track_record.none": {"value": 0.5},
    "window.covers_country": {"country": "MOZ"},
    "window.covers_region": {"region": "002"},
    "window.covers_any": {},
    "window.pays": {"max_usd": 50_000.0, "needed_usd": 32_000.0},
    "window.cofinancing": {"share": 0.2},
    "window.sector": {"sector": ["12220"]},
    "window.sector_group": {"group": ["120"]},
    "window.sector_other": {},
    "window.mandate": {"score": 0.62},
}


def test_samples_cover_every_code() -> None:
    assert set(SAMPLES) == REASON_CODES


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
@pytest.mark.parametrize("code", sorted(SAMPLES))
def test_every_code_renders_a_full_sentence_in_every_locale(code: str, locale: str) -> None:
    text = render_reason(Reason(code, SAMPLES[code]), locale)
    assert "%(" not in text and (text[0].isupper() or text[0].isdigit()) and text != code
    if locale != "en" and code not in ("semantic.close",):
        assert text != render_reason(Reason(code, SAMPLES[code]), "en")


@pytest.mark.parametrize(
    ("locale", "code", "expected"),
    [
        ("en", "semantic.close", "Close semantic fit (0.82)"),
        ("fr", "semantic.close", "Forte proximité sémantique (0,82)"),
        ("en", "region.same_subregion", "Same sub-region: Eastern Africa"),
        ("es", "region.same_subregion", "Misma subregión: África oriental"),
        ("pt", "region.different", "Regiões diferentes: Brasil e Moçambique"),
        ("fr", "region.same_country", "Même pays : Mozambique (passage à l’échelle nationale)"),
        ("en", "income.same", "Peers at the same income level (Lower middle income)"),
        ("pt", "income.same", "Pares com o mesmo nível de renda (renda média-baixa)"),
        ("fr", "language.shared", "Langue de travail commune : portugais"),
        ("es", "language.shared", "Idioma de trabajo común: portugués"),
        ("en", "sector.same_code", "Same sector: Primary education"),
        ("fr", "sector.same_code", "Même secteur : Primary education"),  # DAC names stay English
        ("en", "modality.preferred", "Offers your preferred modality: study tour"),
        ("pt", "modality.preferred", "Oferece a sua modalidade preferida: visita de estudo"),
        (
            "en",
            "modality.substituted",
            f"Expert visit instead of the requested study tour: related and about USD{NBSP}12,000 cheaper",
        ),
        (
            "fr",
            "modality.substituted",
            "Mission d’experts au lieu de la modalité demandée (voyage d’étude) : apparentée et "
            f"environ 12{NNBSP}000{NBSP}USD moins chère",
        ),
        (
            "en",
            "cost.within_budget",
            f"Estimated cost about USD{NBSP}17,900, within the budget of USD{NBSP}25,000",
        ),
        (
            "es",
            "cost.over_budget",
            f"Costo estimado: unos 31.300{NBSP}USD, por encima del presupuesto de 25.000{NBSP}USD",
        ),
        (
            "en",
            "relevance.weak",
            "Weak topical relevance (0.31): region, modality, language and cost count for 40% "
            "of their weight",
        ),
        (
            "fr",
            "sector.inferred_request",
            "Secteur déduit de la description de la demande : "
            "Health policy and administrative management et Primary education",
        ),
    ],
)
def test_sentences_in_each_locale(locale: str, code: str, expected: str) -> None:
    assert render_reason(Reason(code, SAMPLES[code]), locale) == expected


def test_several_shared_languages_are_all_named_with_the_plural_sentence() -> None:
    reason = Reason("language.shared", {"languages": ["en", "pt", "es"]})
    assert (
        render_reason(reason, "en") == "Shared working languages: English, Portuguese, and Spanish"
    )  # CLDR list style
    assert render_reason(reason, "fr") == "Langues de travail communes : anglais, portugais et espagnol"


def test_a_stored_list_renders_in_any_locale_and_old_plain_sentences_pass_through() -> None:
    stored = [
        Reason("language.shared", {"languages": ["pt"]}).as_json(),
        {"code": "cost.estimate", "params": {"cost_usd": 900.0}},
    ]
    french = stored_reasons(stored, ["ignored when the structured form is there"], "fr")
    assert [r.text for r in french] == [
        "Langue de travail commune : portugais",
        f"Coût estimé : environ 900{NBSP}USD",
    ]
    assert [r.code for r in french] == ["language.shared", "cost.estimate"]
    old = stored_reasons(None, ["Same sector: Primary education"], "fr")
    assert [(r.code, r.text) for r in old] == [("text", "Same sector: Primary education")]


def test_an_unknown_code_renders_as_itself() -> None:
    assert render_reason(Reason("future.code", {"x": "1"}), "es") == "future.code"


def test_track_record_reason_reads_as_the_issue_asks() -> None:
    reason = Reason("track_record.topic", {"count": 2, "rating": 4.5, "value": 0.58})
    assert render_reason(reason, "en") == "2 completed exchanges on this topic, rated 4.5/5 by receivers"
    assert render_reason(reason, "fr") == "2 échanges achevés sur ce thème, notés 4,5/5 par les bénéficiaires"
    none = Reason("track_record.none", {"value": 0.5})
    assert render_reason(none, "en") == "No completed exchanges yet (neutral)"
    one = Reason("track_record.elsewhere_unrated", {"count": 1, "value": 0.51})
    assert render_reason(one, "es").startswith("1 intercambio completado sobre otro tema")
