"""Searchable views of the reference lists for the taxonomy endpoints.

Sectors, SDGs, modalities and outcomes are searched by words and by meaning, in any language the
encoder reads. For a free-text query each entry gets

    score = LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * semantic

- ``lexical`` in [0, 1]: the mean over the query's words (case- and accent-insensitive, matched as
  word prefixes) of 1 for a word in the entry's name and 0.5 for one only in its other text.
- ``semantic`` in [0, 1]: ``NAME_WEIGHT * names + (1 - NAME_WEIGHT) * suggested``. ``names`` is
  the cosine of the query's embedding to the embedding of each entry's name, rescaled per query
  so that the median entry scores 0 and the best 1 (absolute cosines differ by model and query
  length). ``suggested`` is the code suggester's calibrated confidence for the query, which also
  reads the codes' descriptions and the labelled demo records ("digital government" finds ICT
  through e-government records) and is near 0 for off-topic queries (its background class).

An entry is listed when all query words occur in it (the old lexical search) or when its semantic
score reaches ``SEMANTIC_KEEP``; best score first, ties by code. A query of digits is a code prefix.
All embeddings come from the suggester's index (one per process and model); a GET stores nothing.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from broker.ranking.embedding import Encoder
from broker.ranking.engine import MatchEngine
from broker.reference import Country, Language, Modality, Outcome, Region, SdgGoal, Sector, get_reference
from broker.services.suggestions import KINDS, References

LEXICAL_WEIGHT = 0.4
NAME_WEIGHT = 0.35
SEMANTIC_KEEP = 0.4
T = TypeVar("T")


def _fold(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).casefold()
    return "".join(ch for ch in plain if not unicodedata.combining(ch))


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", _fold(text))


@dataclass(frozen=True)
class Meaning:
    """A query's embedding, the reference embeddings, and the suggester's confidence per code."""

    query: NDArray[np.float32]  # (dim,)
    refs: References
    confidence: dict[str, NDArray[np.float64]]  # kind -> (n codes,) in [0, 1]


_queries: OrderedDict[tuple[str, str], NDArray[np.float32]] = OrderedDict()
_queries_lock = threading.Lock()
QUERY_CACHE = 2048  # query embeddings kept per process (a short phrase costs ~20 ms to embed)


def _embed_query(encoder: Encoder, text: str) -> NDArray[np.float32]:
    key = (encoder.model_id, text)
    with _queries_lock:
        if key in _queries:
            _queries.move_to_end(key)
            return _queries[key]
    vector = np.asarray(encoder.encode([text])[0], dtype=np.float32)
    with _queries_lock:
        _queries[key] = vector
        while len(_queries) > QUERY_CACHE:
            _queries.popitem(last=False)
    return vector


def meaning(session: Session, *, engine: MatchEngine, q: str | None) -> Meaning | None:
    """What a free-text query means to the engine's encoder; None for no query or a code prefix.

    Reads the stored reference embeddings and stores nothing (a GET reads): on a database that has
    never stored them, the first search in a process embeds them in memory.
    """
    text = (q or "").strip()
    if not text or text.isdigit():
        return None
    suggester = engine.suggester
    suggester.prepare(session, store=False)
    query = _embed_query(engine.encoder, text)
    confidence = {kind: suggester.scores(kind, query[None, :])[0] for kind in KINDS}
    return Meaning(query, suggester.references(session, store=False), confidence)


def _semantic(meaning: Meaning, kind: str) -> NDArray[np.float64]:
    return NAME_WEIGHT * _name_similarity(meaning, kind) + (1 - NAME_WEIGHT) * meaning.confidence[kind]


def _name_similarity(meaning: Meaning, kind: str) -> NDArray[np.float64]:
    query = meaning.query.astype(np.float64)
    cosines = meaning.refs.lists[kind].name_vectors.astype(np.float64) @ query
    floor, top = float(np.median(cosines)), float(cosines.max())
    if top <= floor:
        return np.zeros_like(cosines)
    return np.asarray(np.clip((cosines - floor) / (top - floor), 0.0, 1.0))


def _ranked(
    items: Sequence[T],
    q: str,
    *,
    texts: Callable[[T], tuple[str, str]],
    code: Callable[[T], str],
    kind: str,
    meaning: Meaning | None,
) -> list[T]:
    words = _words(q)
    semantic = _semantic(meaning, kind) if meaning is not None else None
    scored = []
    for i, item in enumerate(items):
        name, rest = texts(item)
        name_words, rest_words = _words(name), _words(rest)
        hits = [
            1.0
            if any(w.startswith(word) for w in name_words)
            else 0.5
            if any(w.startswith(word) for w in rest_words)
            else 0.0
            for word in words
        ]
        lexical = sum(hits) / len(hits) if hits else 0.0
        meant = float(semantic[i]) if semantic is not None else 0.0
        if (hits and all(hits)) or meant >= SEMANTIC_KEEP:
            scored.append((LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * meant, code(item), item))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [item for *_, item in scored]


def sectors(q: str | None, *, limit: int, meaning: Meaning | None = None) -> list[Sector]:
    ref = get_reference()
    text = (q or "").strip()
    if not text:
        return list(ref.sectors)[:limit]
    if text.isdigit():
        return [s for s in ref.sectors if s.code.startswith(text)][:limit]
    found = _ranked(
        ref.sectors,
        text,
        texts=lambda s: (s.name, f"{s.category_name} {s.description or ''}"),
        code=lambda s: s.code,
        kind="sectors",
        meaning=meaning,
    )
    return found[:limit]


def sdgs(q: str | None, *, meaning: Meaning | None = None) -> list[SdgGoal]:
    ref = get_reference()
    text = (q or "").strip()
    if not text:
        return list(ref.sdgs)
    exact = ref.sdg(text)
    if exact is not None:
        return [exact]
    return _ranked(
        ref.sdgs,
        text,
        texts=lambda g: (g.name, " ".join(t.text for t in g.targets)),
        code=lambda g: f"{g.number:02d}",
        kind="sdgs",
        meaning=meaning,
    )


def modalities(q: str | None, *, meaning: Meaning | None = None) -> list[Modality]:
    ref = get_reference()
    text = (q or "").strip()
    if not text:
        return list(ref.modalities)
    exact = ref.modality(text)
    if exact is not None:
        return [exact]
    return _ranked(
        ref.modalities,
        text,
        texts=lambda m: (m.name, m.description),
        code=lambda m: m.code,
        kind="modalities",
        meaning=meaning,
    )


def outcomes(q: str | None, *, meaning: Meaning | None = None) -> list[Outcome]:
    ref = get_reference()
    text = (q or "").strip()
    if not text:
        return list(ref.outcomes)
    exact = ref.outcome(text)
    if exact is not None:
        return [exact]
    return _ranked(
        ref.outcomes,
        text,
        texts=lambda o: (o.name, o.description),
        code=lambda o: o.code,
        kind="outcomes",
        meaning=meaning,
    )


def countries(q: str | None, *, region: str | None) -> list[Country]:
    ref = get_reference()
    found = list(ref.countries)
    if region:
        wanted = _fold(region)
        found = [
            c
            for c in found
            if any(
                r is not None and wanted in (_fold(r.code), _fold(r.name))
                for r in (c.region, c.sub_region, c.intermediate_region)
            )
        ]
    if q:
        exact = ref.country(q)
        needle = _fold(q)
        found = [c for c in found if c is exact or needle in _fold(c.name)]
    return found


def regions(level: str | None) -> list[Region]:
    return [r for r in get_reference().regions if level is None or r.level == level]


def languages(q: str | None) -> list[Language]:
    found = list(get_reference().languages)
    if q:
        needle = _fold(q)
        found = [lang for lang in found if needle == lang.code or needle in _fold(lang.name)]
    return found
