"""The outbox: an ``Event`` row written in the transaction of the change that causes it.

A SQLAlchemy ``after_flush`` hook, attached once to every ``Session``, looks at what the flush
wrote and inserts the events on the same connection, so they commit or roll back with their cause:
an acknowledged change never lacks its event, and a change that failed has none. No service calls
it, so no write path (API, workspace, import, CLI, demo loader) can forget it.

What becomes an event:
- a new ``MatchReview`` (a decision on a match) -> ``match.reviewed``;
- a new ``ExchangeChange`` that opens an exchange or moves its status -> ``exchange.status``;
- an offer that becomes published or a request that becomes open (created so, or moved there) ->
  ``record.published``, which the dispatcher ranks to find whom it concerns (``match.new``).

Bulk ORM statements bypass the flush: one that could make records live is refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from broker.models import (
    Event,
    EventType,
    ExchangeChange,
    KnowledgeRequest,
    MatchReview,
    Offer,
    OfferStatus,
    RequestStatus,
)
from broker.models.base import utcnow

LIVE: dict[type[Any], str] = {Offer: OfferStatus.published.value, KnowledgeRequest: RequestStatus.open.value}
KIND = {Offer: "offer", KnowledgeRequest: "request"}
_STATUS_TABLES = frozenset(model.__table__.name for model in LIVE)
_WROTE = "broker.events.wrote"
_listeners: list[Callable[[], None]] = []
_listeners_lock = threading.Lock()


def on_commit(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` after any commit that wrote an event (a dispatcher's wake-up); returns a
    function that removes it."""
    with _listeners_lock:
        _listeners.append(callback)

    def remove() -> None:
        with _listeners_lock:
            if callback in _listeners:
                _listeners.remove(callback)

    return remove


def events_of_flush(session: Session) -> list[dict[str, Any]]:
    """The events the pending flush's objects cause (run inside ``after_flush``: ids are set)."""
    rows: list[dict[str, Any]] = []
    for obj in session.new:
        if isinstance(obj, MatchReview):
            data = {
                "match_id": obj.match_id,
                "review_id": obj.id,
                "status": obj.status,
                "note_for_institutions": obj.note_for_institutions,
            }
            rows.append(_row(EventType.match_reviewed, f"match {obj.match_id}", data))
        elif isinstance(obj, ExchangeChange) and obj.from_status != obj.to_status:
            data = {
                "exchange_id": obj.exchange_id,
                "change_id": obj.id,
                "from_status": obj.from_status,
                "to_status": obj.to_status,
                "note": obj.note,
            }
            rows.append(_row(EventType.exchange_status, f"exchange {obj.exchange_id}", data))
    for obj in (*session.new, *session.dirty):
        model = type(obj)
        if model in LIVE and _became_live(session, obj, LIVE[model]):
            kind = KIND[model]
            data = {"kind": kind, "id": obj.id, "institution_id": obj.institution_id}
            rows.append(_row(EventType.record_published, f"{kind} {obj.id}", data))
    return rows


def _became_live(session: Session, obj: Any, live: str) -> bool:
    if obj.status != live:
        return False
    if obj in session.new:
        return True
    history = inspect(obj).attrs.status.history
    return bool(history.added) and any(old != live for old in history.deleted)


def _row(kind: EventType, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind.value, "subject": subject, "data": data, "created_at": utcnow()}


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    rows = events_of_flush(session)
    if rows:
        session.connection().execute(insert(Event), rows)
        session.info[_WROTE] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        with _listeners_lock:
            callbacks = list(_listeners)
        for callback in callbacks:
            callback()


def _after_rollback(session: Session) -> None:
    session.info.pop(_WROTE, None)


def _do_orm_execute(state: ORMExecuteState) -> None:
    """A bulk UPDATE that could make records live (published, open) would write no event: refused."""
    if not state.is_update:
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", "") not in _STATUS_TABLES:
        return
    values = getattr(state.statement, "_values", None) or {}
    for column, value in values.items():
        if getattr(column, "key", column) != "status":
            continue
        given = getattr(value, "value", None)  # a bound literal; anything else cannot be judged
        if given is None or given in LIVE.values():
            raise TypeError("make a record live through the ORM (Session.add) so its event is written")


def watch_writes() -> None:
    """Attach the hooks to every Session (idempotent; ``broker.db`` calls it on import)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
        event.listen(Session, "do_orm_execute", _do_orm_execute)
