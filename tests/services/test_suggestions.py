"""Code suggestions: their shape and ranges with the hashing encoder, known codes with the real model."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.models import Embedding
from broker.ranking.embedding import HashingEncoder
from broker.ranking.embedding.models import load_encoder
from broker.ranking.embedding.text import embedding_text, text_hash
from broker.services.suggestion_texts import LabelledRecord
from broker.services.suggestions import (
    CONFIDENT,
    MAX_PER_KIND,
    MIN_CONFIDENCE,
    CodeSuggester,
    Suggested,
    Suggestions,
)

KINDS = ("sectors", "sdgs", "sdg_targets", "modalities", "outcomes")
HIV = (
    "Antiretroviral treatment for people living with HIV",
    "Many people with HIV/AIDS in rural districts never start antiretroviral therapy.",
)


@pytest.fixture
def hashing(session: Session) -> CodeSuggester:
    suggester = CodeSuggester(HashingEncoder())
    suggester.prepare(session)
    return suggester


def test_every_kind_is_listed_best_first_within_range(session: Session, hashing: CodeSuggester) -> None:
    found = hashing.suggest_text(session, title=HIV[0], description=HIV[1])
    data = found.as_dict()
    assert set(data) == set(KINDS)
    json.dumps(data)  # JSON-able as it is
    for kind in KINDS:
        entries: list[Suggested] = getattr(found, kind)
        assert len(entries) <= MAX_PER_KIND
        confidences = [s.confidence for s in entries]
        assert confidences == sorted(confidences, reverse=True)
        assert all(MIN_CONFIDENCE <= c <= 1 for c in confidences)
        assert all(s.name for s in entries)
    assert found.sectors, "a text about HIV gets sector suggestions even from the lexical test encoder"


def test_a_text_sharing_a_demo_records_words_gets_its_sector(
    session: Session, hashing: CodeSuggester
) -> None:
    found = hashing.suggest_text(
        session,
        title="STD control including HIV/AIDS",
        description="HIV/AIDS control: information, education and communication; testing; prevention; "
        "treatment, care for people living with HIV.",
    )
    assert "13040" in [s.code for s in found.sectors[:3]]


def test_suggestions_are_deterministic(session: Session, hashing: CodeSuggester) -> None:
    vector = HashingEncoder().encode([embedding_text(*HIV)])[0]
    other = CodeSuggester(HashingEncoder())
    other.prepare(session)
    assert hashing.suggest(vector) == other.suggest(vector) == hashing.suggest(vector.copy())


def test_sdg_targets_belong_to_suggested_goals_and_never_beat_them(hashing: CodeSuggester) -> None:
    found = hashing.suggest(HashingEncoder().encode([embedding_text(*HIV)])[0])
    goals = {s.code: s.confidence for s in found.sdgs}
    for target in found.sdg_targets:
        goal = target.code.split(".")[0]
        assert goal in goals and target.confidence <= goals[goal]


def test_an_empty_pool_falls_back_to_the_code_descriptions(session: Session) -> None:
    suggester = CodeSuggester(HashingEncoder(), pool=[])
    suggester.prepare(session)
    found = suggester.suggest_text(
        session, title="Malaria control", description="Prevention and control of malaria."
    )
    assert found.sectors and found.sectors[0].code == "12262"
    assert all(0 <= s.confidence <= 1 for kind in KINDS for s in getattr(found, kind))


def test_a_small_custom_pool_is_learned_from(session: Session) -> None:
    pool = [
        LabelledRecord("Bee keeping cooperatives", "Honey producers sell together.", {"sectors": ("31194",)}),
        LabelledRecord("Bee keeping training", "Hives and honey for rural women.", {"sectors": ("31194",)}),
    ]
    suggester = CodeSuggester(HashingEncoder(), pool=pool)
    suggester.prepare(session)
    found = suggester.suggest_text(session, title="Bee keeping", description="Honey from our hives.")
    assert found.sectors[0].code == "31194"
    assert found.outcomes == [] or all(s.confidence < 1 for s in found.outcomes)


def test_suggest_before_prepare_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="prepare"):
        CodeSuggester(HashingEncoder(), pool=[]).suggest(np.zeros(384, dtype=np.float32))


def test_prepare_stores_each_embedding_once(session: Session) -> None:
    # a model id no other test (nor this one on the other database) has prepared in this process
    encoder = HashingEncoder(dim=64 if session.get_bind().dialect.name == "sqlite" else 66)
    CodeSuggester(encoder).prepare(session)
    stored = session.scalar(
        select(func.count()).select_from(Embedding).where(Embedding.model_id == encoder.model_id)
    )
    assert stored and stored > 500
    CodeSuggester(encoder).prepare(session)  # the shared index: nothing embedded or stored again
    again = session.scalar(
        select(func.count()).select_from(Embedding).where(Embedding.model_id == encoder.model_id)
    )
    assert again == stored


def test_prepare_for_a_read_stores_nothing(session: Session) -> None:
    encoder = HashingEncoder(dim=32)
    CodeSuggester(encoder, pool=[]).prepare(session, store=False)
    digest = text_hash("Prisons.", encoder.model_id)
    assert (
        session.scalar(select(func.count()).select_from(Embedding).where(Embedding.text_hash == digest)) == 0
    )


def test_confident_codes_are_those_at_or_above_the_threshold() -> None:
    found = Suggestions(
        sectors=[
            Suggested("13040", "STD control", CONFIDENT),
            Suggested("12250", "Infectious", CONFIDENT - 0.01),
        ],
        sdgs=[Suggested("3", "Health", 0.9)],
    )
    assert found.confident_sectors() == ["13040"] and found.confident_sdgs() == [3]
    assert found.confident_modalities() == [] and found.confident_outcomes() == []


# With the real model ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_suggester() -> CodeSuggester:
    return CodeSuggester(load_encoder("model"))


def _top3(suggester: CodeSuggester, session: Session, title: str, description: str) -> list[str]:
    suggester.prepare(session)
    return [s.code for s in suggester.suggest_text(session, title=title, description=description).sectors[:3]]


@pytest.mark.model
@pytest.mark.parametrize(
    ("title", "description", "expected"),
    [
        (*HIV, {"13040"}),
        (
            "School meals from local family farms",
            "Pupils in rural primary schools get one meal a day bought from smallholder farmers nearby.",
            {"11250"},
        ),
        (
            "Comidas escolares con productos de la agricultura familiar",
            "Queremos que las escuelas rurales compren a los agricultores familiares los alimentos que "
            "sirven a los alumnos cada día.",
            {"11250"},
        ),
        (
            "Étendre l'assurance maladie aux travailleurs informels",
            "La plupart des ménages paient les soins de leur poche; nous voulons une assurance maladie "
            "qui couvre aussi les travailleurs du secteur informel.",
            {"12110", "16010", "16011", "16012"},
        ),
        (
            "Tratamento antirretroviral para pessoas vivendo com HIV",
            "Muitas pessoas com HIV/AIDS nas províncias rurais nunca iniciam o tratamento.",
            {"13040"},
        ),
    ],
)
def test_known_texts_get_known_sectors_in_any_language(
    model_suggester: CodeSuggester, session: Session, title: str, description: str, expected: set[str]
) -> None:
    assert expected & set(_top3(model_suggester, session, title, description))


@pytest.mark.model
@pytest.mark.parametrize(
    ("title", "description"),
    [
        (
            "Training astronauts for a Mars landing",
            "We want to prepare a crew of astronauts to land on Mars.",
        ),
        ("A recipe for chocolate cake", "How to bake a moist chocolate cake with a dark ganache."),
        ("Une recette de mousse au chocolat", "Battre les blancs en neige et faire fondre le chocolat."),
    ],
)
def test_off_topic_texts_get_no_confident_sector(
    model_suggester: CodeSuggester, session: Session, title: str, description: str
) -> None:
    model_suggester.prepare(session)
    found = model_suggester.suggest_text(session, title=title, description=description)
    assert found.confident_sectors() == []
