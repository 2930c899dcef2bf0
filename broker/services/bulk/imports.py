"""Bulk import of institutions, offers and requests: validate everything, then write all or nothing.

Records are matched on ``external_id``, so importing the same file twice changes nothing the
second time. Offers and requests name their institution by its external id (``institution``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.models import Institution, KnowledgeRequest, Offer, Role
from broker.ranking.embedding import Encoder
from broker.schemas.bulk import ImportProblem, ImportReport
from broker.schemas.common import TEXT_CELLS
from broker.services.bulk.formats import CREATE_SCHEMAS, RawRecord
from broker.services.knowledge import build_item, item_values
from broker.services.principal import Principal
from broker.services.understanding import understand_items
from broker.services.writes import flush

MODELS: dict[str, type[Offer] | type[KnowledgeRequest]] = {"offers": Offer, "requests": KnowledgeRequest}
Progress = Callable[[int, int], None]


@dataclass
class _Valid:
    record: RawRecord
    data: Any
    institution_ref: str | None = None


@dataclass
class _Plan:
    valid: list[_Valid] = field(default_factory=list)
    report: ImportReport = field(default_factory=ImportReport)


def import_records(
    session: Session,
    *,
    principal: Principal,
    records: list[RawRecord],
    encoder: Encoder,
    partial: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate ``records`` and, if all are valid (or ``partial``), create or update them.

    Returns:
        The report: counts per kind and every problem with its line, field and reason.
    """
    principal.require(Role.admin, Role.broker)
    plan = _validate(session, records)
    report = plan.report
    if report.problem_count and not partial:
        return report
    written: list[Offer | KnowledgeRequest] = []
    institutions = _apply_institutions(
        session, [v for v in plan.valid if v.record.kind == "institutions"], report
    )
    for kind in ("offers", "requests"):
        rows = [v for v in plan.valid if v.record.kind == kind]
        written += _apply_items(session, kind, rows, institutions, report)
    understand_items(session, encoder=encoder, items=written, progress=progress)
    flush(session, what="import")
    report.applied = True
    return report


def _validate(session: Session, records: list[RawRecord]) -> _Plan:
    plan = _Plan()
    new_institutions = {r.values.get("external_id") for r in records if r.kind == "institutions"}
    known = set(session.scalars(select(Institution.external_id).where(Institution.external_id.is_not(None))))
    seen: set[tuple[str, str]] = set()
    for record in records:
        values = dict(record.values)
        external_id = values.get("external_id")
        problem = _shape_problem(record, values)
        if problem is None and external_id is not None:
            if (record.kind, str(external_id)) in seen:
                problem = _problem(
                    record, "external_id", f"duplicate external_id {external_id!r} in this file"
                )
            seen.add((record.kind, str(external_id)))
        ref = None
        if problem is None and record.kind != "institutions":
            ref = values.pop("institution", None)
            if not ref:
                problem = _problem(record, "institution", "name the institution by its external_id")
            elif ref not in new_institutions and ref not in known:
                problem = _problem(record, "institution", f"unknown institution {ref!r}")
        if problem is not None:
            plan.report.add_problems([problem])
            continue
        try:
            data = CREATE_SCHEMAS[record.kind].model_validate(values, context={TEXT_CELLS: record.text_cells})
        except ValidationError as exc:
            errors = exc.errors()
            listed = [
                _problem(
                    record,
                    ".".join(str(p) for p in err["loc"]) or "record",
                    str(err["msg"]).removeprefix("Value error, "),
                )
                for err in errors[: plan.report.room]  # build only what the report will list
            ]
            plan.report.add_problems(listed, total=len(errors))
            continue
        plan.valid.append(_Valid(record, data, ref))
    return plan


def _shape_problem(record: RawRecord, values: dict[str, Any]) -> ImportProblem | None:
    if "__invalid_json__" in values:
        return _problem(record, "record", f"invalid JSON: {values['__invalid_json__']}")
    if "__not_an_object__" in values:
        return _problem(record, "record", "expected an object")
    if "__unknown_column__" in values:  # a header problem: its cells are left out of every row
        return _problem(record, str(values["__unknown_column__"]), str(values["__reason__"]))
    if "__extra_cells__" in values:
        return _problem(record, "record", "more cells than columns")
    return None


def _problem(record: RawRecord, field_name: str, reason: str) -> ImportProblem:
    return ImportProblem(
        kind=record.kind,
        line=record.line,
        external_id=_text(record.values.get("external_id")),
        field=field_name,
        reason=reason,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:120]


def _apply_institutions(session: Session, rows: list[_Valid], report: ImportReport) -> dict[str, Institution]:
    """Create or update institutions; returns every institution a later row may refer to, by external id."""
    existing = {
        i.external_id: i
        for i in session.scalars(select(Institution).where(Institution.external_id.is_not(None)))
    }
    for row in rows:
        values = row.data.model_dump()
        current = existing.get(values["external_id"]) if values["external_id"] else None
        if current is None:
            institution = Institution(**values)
            session.add(institution)
            if values["external_id"]:
                existing[values["external_id"]] = institution
            report.count("created", "institutions")
        elif _update(current, values):
            report.count("updated", "institutions")
        else:
            report.count("unchanged", "institutions")
    if rows:
        flush(session, what="import")
    return {key: inst for key, inst in existing.items() if key is not None}


def _apply_items(
    session: Session,
    kind: str,
    rows: list[_Valid],
    institutions: dict[str, Institution],
    report: ImportReport,
) -> list[Offer | KnowledgeRequest]:
    model: Any = MODELS[kind]
    ids = [row.data.external_id for row in rows if row.data.external_id]
    existing = (
        {i.external_id: i for i in session.scalars(select(model).where(model.external_id.in_(ids)))}
        if ids
        else {}
    )
    written: list[Offer | KnowledgeRequest] = []
    for row in rows:
        institution = institutions[row.institution_ref or ""]
        current = existing.get(row.data.external_id) if row.data.external_id else None
        if current is None:
            item = build_item(model, row.data, institution)
            session.add(item)
            report.count("created", kind)
        else:
            values = {**item_values(row.data, institution), "institution_id": institution.id}
            if not _update(current, values):
                report.count("unchanged", kind)
                continue
            item = current
            report.count("updated", kind)
        written.append(item)
    return written


def _update(row: Any, values: dict[str, Any]) -> bool:
    no_word = values.get("text_language") is None  # the file leaves the language to detection
    if no_word and (
        getattr(row, "text_language_detected", False) or getattr(row, "text_language", 0) is None
    ):
        values = {k: v for k, v in values.items() if k not in ("text_language", "text_language_detected")}
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed
