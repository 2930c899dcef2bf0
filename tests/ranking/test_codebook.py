"""Encoding rows for the core: the author's codes first, confident suggestions only where none were given."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from broker.ranking.codebook import confident_codes, demand_row, effective_codes, get_codebook, offer_row
from tests.factories import make_institution, make_offer, make_request

SUGGESTED: dict[str, Any] = {
    "sectors": [
        {"code": "31140", "name": "Agricultural water resources", "confidence": 0.8, "confident": True},
        {"code": "31120", "name": "Agricultural development", "confidence": 0.3, "confident": False},
    ],
    "modalities": [{"code": "study_tour", "name": "Study tour", "confidence": 0.7, "confident": True}],
}


def test_only_confident_suggestions_count() -> None:
    assert confident_codes(SUGGESTED, "sectors") == ["31140"]
    assert confident_codes({}, "sectors") == [] and confident_codes(None, "outcomes") == []


def test_the_authors_codes_win_over_suggestions() -> None:
    assert effective_codes(["12220"], SUGGESTED, "sectors") == (["12220"], False)
    assert effective_codes([], SUGGESTED, "sectors") == (["31140"], True)
    assert effective_codes([], {}, "sectors") == ([], False)


def test_a_request_without_codes_is_matched_on_its_confident_suggestions(session: Session) -> None:
    book = get_codebook()
    institution = make_institution(session, languages=["en"])
    request = make_request(
        session, institution, sectors=[], modalities=[], suggested=SUGGESTED, text_language="pt"
    )
    row = demand_row(book, request, institution)
    assert row.sectors == [book.sector_index["31140"]] and row.sectors_inferred
    assert row.modalities == [book.modality_index["study_tour"]] and row.modalities_inferred
    assert row.text_language == book.language_index["pt"]
    assert book.language_index["pt"] in row.languages  # the text's language is a working language too
    coded = make_request(session, institution, sectors=["12220"], suggested=SUGGESTED)
    assert demand_row(book, coded, institution).sectors == [book.sector_index["12220"]]
    assert not demand_row(book, coded, institution).sectors_inferred


def test_an_offer_without_sectors_is_matched_on_its_confident_suggestions(session: Session) -> None:
    book = get_codebook()
    offer = make_offer(session, sectors=[], suggested=SUGGESTED)
    institution = make_institution(session, name="Other")
    encoded = offer_row(book, offer, institution, book_vector())
    assert encoded.sectors_inferred and encoded.sector_codes == ("31140",)


def book_vector() -> Any:
    import numpy as np

    return np.ones(384, dtype=np.float32) / np.sqrt(384)
