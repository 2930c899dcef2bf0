"""Reading and writing CSV, JSON and NDJSON records, with the line each record came from."""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from broker.errors import InvalidInput
from broker.schemas.institution import InstitutionCreate
from broker.schemas.knowledge import OfferCreate, RequestCreate

KINDS = ("institutions", "offers", "requests")
CREATE_SCHEMAS: dict[str, type[BaseModel]] = {
    "institutions": InstitutionCreate,
    "offers": OfferCreate,
    "requests": RequestCreate,
}
LIST_FIELDS = {"languages", "sectors", "sdgs", "modalities", "desired_outcomes"}
# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


class Format(StrEnum):
    csv = "csv"
    json = "json"
    ndjson = "ndjson"


@dataclass(frozen=True, slots=True)
class RawRecord:
    kind: str
    line: int
    values: dict[str, Any]
    text_cells: bool = False  # from CSV: numbers arrive as strings


def guess_format(filename: str) -> Format:
    for suffix, fmt in (
        (".ndjson", Format.ndjson),
        (".jsonl", Format.ndjson),
        (".json", Format.json),
        (".csv", Format.csv),
    ):
        if filename.lower().endswith(suffix):
            return fmt
    raise InvalidInput(f"cannot tell the format of {filename!r}: use .csv, .json or .ndjson, or name it")


def guess_kind(filename: str) -> str | None:
    name = filename.lower().rsplit("/", 1)[-1]
    return next((kind for kind in KINDS if name.startswith(kind)), None)


def parse(text: str, fmt: Format, kind: str | None) -> list[RawRecord]:
    """Records of ``kind`` (or, for a JSON bundle ``{"institutions": [...], ...}``, of each kind)."""
    text = text.removeprefix("\ufeff")  # spreadsheet programs start UTF-8 files with a BOM
    if fmt is Format.json:
        return _parse_json(text, kind)
    if kind not in KINDS:
        raise InvalidInput(f"say which records the file holds: kind must be one of {', '.join(KINDS)}")
    if fmt is Format.ndjson:
        return list(_parse_ndjson(text, kind))
    return list(_parse_csv(text, kind))


def _parse_json(text: str, kind: str | None) -> list[RawRecord]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
    except RecursionError:
        raise InvalidInput("invalid JSON: nested too deeply") from None
    if isinstance(data, dict) and set(data) <= set(KINDS):
        return [rec for name in KINDS for rec in _records(data.get(name, []), name)]
    if kind not in KINDS:
        raise InvalidInput(
            "a JSON list needs a kind (institutions, offers or requests); or send a bundle object"
        )
    return _records(data, kind)


def _records(items: Any, kind: str) -> list[RawRecord]:
    if not isinstance(items, list):
        raise InvalidInput(f"{kind}: expected a list of records")
    return [
        RawRecord(kind, number, item if isinstance(item, dict) else {"__not_an_object__": item})
        for number, item in enumerate(items, start=1)
    ]


def _parse_ndjson(text: str, kind: str) -> Iterator[RawRecord]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            yield RawRecord(kind, number, {"__invalid_json__": exc.msg})
            continue
        except RecursionError:
            yield RawRecord(kind, number, {"__invalid_json__": "nested too deeply"})
            continue
        yield RawRecord(kind, number, item if isinstance(item, dict) else {"__not_an_object__": item})


def _parse_csv(text: str, kind: str) -> Iterator[RawRecord]:
    # strict: a quote that is never closed is an error, not a cell that swallows the rest of the file
    # (which then surfaced as "country: Field required" on a row that looked complete).
    reader = csv.DictReader(io.StringIO(text), strict=True)
    row_start = 1  # the line the record being read begins on
    try:
        columns = reader.fieldnames or []
        row_start = reader.line_num + 1
        unknown = _unknown_columns(columns, kind)
        if columns and len(unknown) == len(columns):  # not a file of this kind (or no header line)
            known = ", ".join(sorted(known_columns(kind)))
            raise InvalidInput(
                f"invalid CSV: line 1 names no column of {kind}; the header line names some of: {known}"
            )
        for name, reason in unknown:
            yield RawRecord(kind, 1, {"__unknown_column__": name, "__reason__": reason})
        for record in _csv_records(reader, kind, ignored={name for name, _ in unknown}):
            yield record
            row_start = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput(f"invalid CSV: line {row_start}: {_csv_reason(exc)}") from None


def _csv_reason(exc: csv.Error) -> str:
    """What a csv module error means, for the record that starts on the line reported with it."""
    message = str(exc)
    if message.startswith("unexpected end of data"):
        return (
            "unterminated quoted field (a cell opens a quote that is never closed, so the rest of "
            "the file would be read as one cell)"
        )
    if "expected after" in message:  # '"ab"c': text after a closing quote
        return f'text after a quoted cell\'s closing quote ({message}); write a quote inside a cell as ""'
    return message  # e.g. a cell over the csv module's 128 KiB field limit


def _unknown_columns(columns: Sequence[str], kind: str) -> list[tuple[str, str]]:
    """Header names that are no field of ``kind``, each with a reason naming the closest known one."""
    known = known_columns(kind)
    found = []
    for name in columns:
        if name in known:
            continue
        close = difflib.get_close_matches(name.strip().lower(), sorted(known), n=1, cutoff=0.75)
        hint = f"did you mean {close[0]!r}?" if close else f"known columns: {', '.join(sorted(known))}"
        found.append((name, f"unknown column {name!r}; {hint}"))
    return found


def known_columns(kind: str) -> set[str]:
    """The columns a file of ``kind`` may have: the create payload's fields (plus ``institution``)."""
    names = set(CREATE_SCHEMAS[kind].model_fields)
    if kind != "institutions":
        names = (names - {"institution_id"}) | {"institution"}
    return names


def _csv_records(reader: csv.DictReader[str], kind: str, *, ignored: set[str]) -> Iterator[RawRecord]:
    for row in reader:
        values: dict[str, Any] = {}
        for name, cell in row.items():
            if name is None:
                values["__extra_cells__"] = cell
                continue
            if name in ignored:  # reported once, as a problem of the header
                continue
            cell = unquote_formula((cell or "").strip())
            if name in LIST_FIELDS:
                values[name] = [part.strip() for part in cell.split(";") if part.strip()]
            elif cell != "":
                values[name] = cell
        yield RawRecord(kind, reader.line_num, values, text_cells=True)


def dump(records: Iterable[dict[str, Any]], fmt: Format, columns: list[str]) -> str:
    """Serialise records; CSV joins list fields with ';' and writes empty cells for nulls."""
    rows = list(records)
    if fmt is Format.json:
        return json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n"
    if fmt is Format.ndjson:
        return "".join(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: quote_formula(_cell(value)) for key, value in row.items()})
    return out.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ";".join(map(str, value))
    return "" if value is None else str(value)


def _needs_quote(text: str) -> bool:
    """Whether a cell would start a formula, or is such a cell already quoted (so quotes round-trip)."""
    return text.lstrip(QUOTE).startswith(FORMULA_STARTS)


def quote_formula(text: str) -> str:
    """Prefix ``'`` to a cell a spreadsheet would run as a formula: ``=1+1`` is written ``'=1+1``.

    A cell that already is ``'`` + such a cell gets one more quote, so ``unquote_formula`` can
    always undo exactly what was added and an export imports back unchanged.
    """
    return QUOTE + text if _needs_quote(text) else text


def unquote_formula(text: str) -> str:
    """Undo ``quote_formula`` on a CSV cell read back."""
    return text[1:] if text.startswith(QUOTE) and _needs_quote(text[1:]) else text
