"""The catalogue generation: one counter that every write to offers, requests or institutions advances.

In-memory match indexes (one per worker process) compare the database's generation with the one
they last read; each row carries the generation of its last write (``change_seq``) and each
deletion leaves a tombstone, so a worker re-reads only what changed since. The counter is advanced
by a SQLAlchemy flush hook and an ORM-statement hook, attached once to every ``Session``: no service,
import, CLI command or demo loader calls it, so none can forget it.

The counter is one row updated in the writing transaction: on PostgreSQL its row lock orders the
writers, so generations become visible in commit order and a reader that saw generation G sees
every row written at or below G.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from broker.models import (
    CatalogDeletion,
    CatalogState,
    Exchange,
    ExchangeReport,
    Institution,
    KnowledgeRequest,
    Offer,
)

CATALOG = "catalog"
WATCHED: dict[type[Any], str] = {Offer: "offer", KnowledgeRequest: "request", Institution: "institution"}
_TABLES = {model.__table__.name: kind for model, kind in WATCHED.items()}
# Writes that change providers' track records: they advance the generation (so cached lists and the
# engine's records follow) but carry no change_seq and leave no tombstone.
EVIDENCE: tuple[type[Any], ...] = (Exchange, ExchangeReport)
_EVIDENCE_TABLES = frozenset(model.__table__.name for model in EVIDENCE)


def catalog_generation(session: Session) -> int:
    """The generation of the last committed catalogue write this session can see (0: none yet)."""
    return session.scalar(select(CatalogState.generation).where(CatalogState.name == CATALOG)) or 0


def _advance(session: Session) -> int:
    """Advance the counter in the session's transaction (Core on its connection: no autoflush)."""
    conn = session.connection()
    result = conn.execute(
        update(CatalogState)
        .where(CatalogState.name == CATALOG)
        .values(generation=CatalogState.generation + 1)
        .returning(CatalogState.generation)
    ).scalar()
    if result is None:
        conn.execute(insert(CatalogState).values(name=CATALOG, generation=1))
        return 1
    return int(result)


def _tombstone(session: Session, kind: str, row_id: int | None, generation: int) -> None:
    values = {"kind": kind, "row_id": row_id, "generation": generation}
    session.connection().execute(insert(CatalogDeletion).values(**values))


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    written = [
        obj
        for obj in (*session.new, *session.dirty)
        if type(obj) in WATCHED and (obj in session.new or session.is_modified(obj))
    ]
    deleted = [obj for obj in session.deleted if type(obj) in WATCHED]
    evidence = any(
        type(obj) in EVIDENCE and (obj in session.new or obj in session.deleted or session.is_modified(obj))
        for obj in (*session.new, *session.dirty, *session.deleted)
    )
    if not written and not deleted and not evidence:
        return
    generation = _advance(session)
    for obj in written:
        obj.change_seq = generation
    for obj in deleted:
        _tombstone(session, WATCHED[type(obj)], obj.id, generation)


def _do_orm_execute(state: ORMExecuteState) -> None:
    """Bulk ORM statements on the catalogue (``session.execute(update(Offer)...)``) bypass the flush."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", "") in _EVIDENCE_TABLES:
        _advance(state.session)
        return
    kind = _TABLES.get(getattr(table, "name", ""))
    if kind is None:
        return
    generation = _advance(state.session)
    if state.is_delete:
        _tombstone(state.session, kind, None, generation)
    elif state.is_update:
        state.statement = state.statement.values(change_seq=generation)  # type: ignore[attr-defined]
    else:
        raise TypeError(f"insert {kind} rows through Session.add so the catalogue generation follows")


def watch_writes() -> None:
    """Attach the hooks to every Session (idempotent; ``broker.db`` calls it on import)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "do_orm_execute", _do_orm_execute)
