"""An import in two phases, so that embedding never holds the database's write lock.

1. Embed ahead: the texts of the file's valid offers and requests that have no stored embedding
   are embedded in batches (longest first, so a batch pads little), each batch stored in the
   embedding cache by a short transaction of its own. No transaction is open while the model runs.
2. Write: one transaction validates and writes everything (``imports.import_records``); the
   embeddings it needs are found in the cache, so the write lock is held for the writes only.

An embedding stored in phase 1 for a file that then imports nothing is harmless: the cache is keyed
by the text and the model, and the same text will find it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from broker.models import Role
from broker.ranking.embedding import Encoder, embedding_text
from broker.ranking.embedding import store as embeddings
from broker.ranking.embedding.seed import seed_vectors
from broker.schemas.bulk import ImportReport
from broker.schemas.common import TEXT_CELLS
from broker.services.bulk.formats import CREATE_SCHEMAS, RawRecord
from broker.services.bulk.imports import import_records
from broker.services.principal import Principal

SessionFactory = sessionmaker[Session]
# Texts per encoder call: enough to amortise the call, few enough for a progress step every few seconds.
EMBED_BATCH = 32


@dataclass
class IngestCounts:
    """How far an import has got; ``texts_to_embed`` counts only texts with no stored embedding."""

    rows_parsed: int = 0
    texts_to_embed: int = 0
    texts_embedded: int = 0
    rows_written: int = 0
    problem_count: int = 0


Observer = Callable[[IngestCounts], None]


@contextmanager
def write_session(factory: SessionFactory) -> Iterator[Session]:
    """A session that takes its turn to write up front (SQLite, see ``broker.db``), committed on success."""
    with factory() as session:
        session.connection(execution_options={"sqlite_immediate": True})
        yield session
        session.commit()


def record_texts(records: Sequence[RawRecord]) -> list[str]:
    """The texts the import will embed: those of the offers and requests that pass validation."""
    texts = []
    for record in records:
        if record.kind not in ("offers", "requests"):
            continue
        values = {k: v for k, v in record.values.items() if k != "institution"}
        try:
            data = CREATE_SCHEMAS[record.kind].model_validate(values, context={TEXT_CELLS: record.text_cells})
        except ValidationError:
            continue  # reported by the import itself
        texts.append(embedding_text(data.title, data.description))  # type: ignore[attr-defined]
    return texts


def embed_ahead(
    factory: SessionFactory,
    *,
    encoder: Encoder,
    texts: Sequence[str],
    batch_size: int = EMBED_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Embed and store the texts that have no stored embedding yet, holding no transaction while
    the encoder runs.

    Args:
        factory: Sessions on the service's database.
        encoder: The configured encoder.
        texts: Texts to have embeddings for.
        batch_size: Texts per encoder call, >= 1.
        progress: Called with (texts embedded so far, texts to embed), first with (0, total).

    Returns:
        How many texts were embedded.
    """
    with factory() as session:
        missing = embeddings.missing_texts(session, model_id=encoder.model_id, texts=texts)
    seeded = seed_vectors(encoder.model_id)  # stored cheaply by the write phase
    missing = [(h, t) for h, t in missing if h not in seeded]
    if progress:
        progress(0, len(missing))
    for start in range(0, len(missing), batch_size):
        batch = missing[start : start + batch_size]
        vectors = encoder.encode([text for _, text in batch])
        with write_session(factory) as session:
            embeddings.store_vectors(
                session, model_id=encoder.model_id, hashes=[h for h, _ in batch], vectors=list(vectors)
            )
        if progress:
            progress(start + len(batch), len(missing))
    return len(missing)


def run_import(
    factory: SessionFactory,
    *,
    principal: Principal,
    records: list[RawRecord],
    encoder: Encoder,
    partial: bool = False,
    observe: Observer | None = None,
) -> ImportReport:
    """Import ``records`` as ``imports.import_records`` does, embedding first (see the module docstring).

    Args:
        observe: Called with the counts after each step (parsed, each embedded batch, written).

    Returns:
        The import's report.
    """
    principal.require(Role.admin, Role.broker)
    counts = IngestCounts(rows_parsed=len(records))
    notify = observe or (lambda _counts: None)
    notify(counts)

    def embedded(done: int, total: int) -> None:
        counts.texts_embedded, counts.texts_to_embed = done, total
        notify(counts)

    embed_ahead(factory, encoder=encoder, texts=record_texts(records), progress=embedded)
    with write_session(factory) as session:
        report = import_records(
            session, principal=principal, records=records, encoder=encoder, partial=partial
        )
    counts.problem_count = report.problem_count
    if report.applied:
        counts.rows_written = sum(report.created.values()) + sum(report.updated.values())
    notify(counts)
    return report
