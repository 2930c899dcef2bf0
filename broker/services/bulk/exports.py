"""Export in the import formats, so that exporting and importing again loses nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.models import Institution, KnowledgeRequest, Offer, Role
from broker.schemas.institution import InstitutionCreate
from broker.schemas.knowledge import OfferCreate, RequestCreate
from broker.services.bulk.formats import Format, dump
from broker.services.principal import Principal


def _columns(schema: Any, *, with_institution: bool) -> list[str]:
    names = [n for n in schema.model_fields if n != "institution_id"]
    return [
        "external_id",
        *(["institution"] if with_institution else []),
        *(n for n in names if n != "external_id"),
    ]


COLUMNS = {
    "institutions": _columns(InstitutionCreate, with_institution=False),
    "offers": _columns(OfferCreate, with_institution=True),
    "requests": _columns(RequestCreate, with_institution=True),
}


def export_records(session: Session, *, principal: Principal, kind: str, fmt: Format) -> str:
    """Every record of ``kind`` (admin, broker, staff), in the columns the importer reads."""
    principal.require(Role.admin, Role.broker, Role.staff)
    return dump(records(session, kind), fmt, COLUMNS[kind])


def records(session: Session, kind: str) -> list[dict[str, Any]]:
    if kind == "institutions":
        return [
            _pick(i, COLUMNS[kind], None)
            for i in session.scalars(select(Institution).order_by(Institution.id))
        ]
    model = Offer if kind == "offers" else KnowledgeRequest
    stmt = select(model, Institution.external_id).join(Institution).order_by(model.id)
    return [_pick(item, COLUMNS[kind], ref) for item, ref in session.execute(stmt)]


def _pick(row: Any, columns: list[str], institution_ref: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in columns:
        value = institution_ref if name == "institution" else getattr(row, name)
        if name == "text_language" and getattr(row, "text_language_detected", False):
            value = None  # detected, not the author's word: a re-import detects it again
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out
