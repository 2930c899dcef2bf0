"""The text that gets embedded for a request or an offer, and its cache key.

An embedding is recomputed only when ``text_hash(embedding_text(...), model_id)`` changes, i.e. when
the text or the model changes; whitespace-only edits keep the same text and hash.
"""

from __future__ import annotations

import hashlib

_SENTENCE_END = ".!?:;"


def _squash(value: str | None) -> str:
    return " ".join((value or "").split())


def embedding_text(title: str, description: str, extra: str | None = None) -> str:
    """Compose the text to embed: the title first, then the description, then any extra text.

    The title comes first because it carries the meaning most densely and long texts are embedded
    with extra weight on their first chunk (see ``SentenceTransformerEncoder``). A title without
    closing punctuation gets a full stop so the model reads it as its own sentence. Whitespace runs
    are collapsed, so reformatting alone does not change the text.

    Args:
        title: Short title, e.g. "School feeding programme".
        description: Free-text description.
        extra: Optional further text (e.g. expected outcomes or sector names).

    Returns:
        Paragraphs separated by a newline; empty parts are dropped.
    """
    head = _squash(title)
    if head and head[-1] not in _SENTENCE_END:
        head += "."
    return "\n".join(part for part in (head, _squash(description), _squash(extra)) if part)


def text_hash(text: str, model_id: str) -> str:
    """Cache key of an embedding: changes whenever the text or the model changes.

    Args:
        text: The exact text embedded (``embedding_text``'s output).
        model_id: The encoder's ``model_id``.

    Returns:
        64 lowercase hex characters (SHA-256 of the model id and the text, NUL-separated).
    """
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()
