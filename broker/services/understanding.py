"""What the service reads from a record's text whenever it is written: its embedding, the language
it is written in, and the codes it suggests (sectors, SDGs, modalities, outcomes). A funding
window's mandate gets its embedding and language the same way (``understand_window``).

Every write path (the API, imports, the demo loader, the command line) goes through
``understand_items`` before the rows are flushed, so a stored offer or request always carries an
embedding, a text language and suggestions that belong to its current text.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from broker.models import FundingWindow, KnowledgeRequest, Offer
from broker.ranking.embedding import Encoder
from broker.ranking.embedding import store as embeddings
from broker.services.language import detect_language
from broker.services.suggestions import CONFIDENT, CodeSuggester, Suggestions

_lock = threading.Lock()
_suggesters: dict[str, CodeSuggester] = {}


def suggester_for(encoder: Encoder) -> CodeSuggester:
    """The process-wide code suggester of an encoder (its label index is built once per model)."""
    with _lock:
        found = _suggesters.get(encoder.model_id)
        if found is None or found.encoder is not encoder:
            found = _suggesters[encoder.model_id] = CodeSuggester(encoder)
        return found


def stored_suggestions(suggestions: Suggestions, *, model_id: str) -> dict[str, Any]:
    """Suggestions as stored on a record: each entry flagged ``confident`` at or above ``CONFIDENT``."""
    data = suggestions.as_dict()
    for kind, entries in list(data.items()):
        if isinstance(entries, list):
            data[kind] = [{**e, "confident": e["confidence"] >= CONFIDENT} for e in entries]
    return {**data, "model_id": model_id, "confident_at": CONFIDENT}


def refresh_text_language(item: Offer | KnowledgeRequest) -> None:
    """Detect the text's language unless the author gave it (then it is left alone)."""
    if item.text_language and not item.text_language_detected:
        return
    found = detect_language(f"{item.title}\n{item.description}")
    item.text_language = found[0] if found else None
    item.text_language_detected = True


def understand_items(
    session: Session,
    *,
    encoder: Encoder,
    items: Sequence[Offer | KnowledgeRequest],
    progress: Callable[[int, int], None] | None = None,
) -> list[embeddings.Vector]:
    """Embed the items (stored once per text and model), set their text language and suggestions.

    Call it before the items' changes are flushed: it sets columns, and autoflush is held off so
    that the embedding cache's own queries do not flush the rows half-updated.

    Returns:
        One embedding per item, in order.
    """
    with session.no_autoflush:
        vectors = embeddings.embed_items(session, encoder=encoder, items=items, progress=progress)
        suggester = suggester_for(encoder)
        suggester.prepare(session)
        for item, vector in zip(items, vectors, strict=True):
            refresh_text_language(item)
            suggested = stored_suggestions(suggester.suggest(vector), model_id=encoder.model_id)
            if item.suggested != suggested:
                item.suggested = suggested
    return vectors


def understand_window(session: Session, *, encoder: Encoder, window: FundingWindow) -> embeddings.Vector:
    """Embed the window's mandate (stored once per text and model) and set its language unless given.

    Call it before the window's changes are flushed, as ``understand_items``.

    Returns:
        The mandate's embedding.
    """
    with session.no_autoflush:
        [vector] = embeddings.embed_windows(session, encoder=encoder, windows=[window])
    if not window.text_language or window.text_language_detected:
        found = detect_language(f"{window.title}\n{window.mandate}")
        window.text_language = found[0] if found else None
        window.text_language_detected = True
    return vector
