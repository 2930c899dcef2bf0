"""The embedded text and its cache key."""

from __future__ import annotations

from broker.ranking.embedding import embedding_text, text_hash


def test_title_comes_first_then_description_then_extra() -> None:
    text = embedding_text("School feeding", "Brazil buys from family farmers.", "Study tours")
    assert text == "School feeding.\nBrazil buys from family farmers.\nStudy tours"
    assert embedding_text("What works?", "") == "What works?"


def test_whitespace_only_edits_keep_the_same_text_and_hash() -> None:
    a = embedding_text("School  feeding ", " Brazil\n buys  locally. ")
    b = embedding_text("School feeding", "Brazil buys locally.")
    assert a == b
    assert text_hash(a, "m") == text_hash(b, "m")


def test_hash_changes_with_text_or_model_and_is_sha256_hex() -> None:
    digest = text_hash("School feeding.", "sentence-transformers/all-MiniLM-L6-v2")
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest != text_hash("School feeding!", "sentence-transformers/all-MiniLM-L6-v2")
    assert digest != text_hash("School feeding.", "test-hashing-v1")
    assert text_hash("a", "b\x00c") != text_hash("a\x00b", "c")  # the separator cannot be forged by text
