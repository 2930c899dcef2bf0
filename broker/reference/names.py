"""Text normalisation shared by the reference loader and the build script.

Names typed by people differ from the code lists in case, accents, punctuation and spacing
("Cote d'Ivoire", "Côte d\u2019Ivoire", "COTE DIVOIRE"); comparing normalised keys makes all of
them resolve to the same entry.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = str.maketrans({"\u2019": "", "\u2018": "", "'": "", "`": "", "\u00b4": ""})


def normalize_name(value: str) -> str:
    """Return a comparison key for a human-readable name.

    Accents, case, punctuation, whitespace and a leading "the" are removed, and "&" reads as
    "and", so that "The Gambia" and "gambia", or "Viet Nam" and "Vietnam", share one key.

    Args:
        value: Any name, as typed.

    Returns:
        The key: lower-case letters and digits only (may be empty).
    """
    text = unicodedata.normalize("NFKD", value).casefold().translate(_APOSTROPHES)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).replace("&", " and ")
    words = _WORD.findall(text)
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return "".join(words)


def normalize_code(value: str) -> str:
    """Return a snake_case code key ("E-learning" -> "e_learning", "Study tour" -> "study_tour").

    Args:
        value: A code or display name of a modality or outcome.

    Returns:
        The lower-case, underscore-separated form.
    """
    text = unicodedata.normalize("NFKD", value).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return "_".join(_WORD.findall(text))
