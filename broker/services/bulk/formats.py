"""Reading and writing CSV, JSON and NDJSON records, with the line each record came from."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from broker.errors import InvalidInput

KINDS = ("institutions", "offers", "requests")
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
    reader = csv.DictReader(io.StringIO(text))
    try:
        yield from _csv_records(reader, kind)
    except csv.Error as exc:  # e.g. a cell over the csv module's 128 KiB field limit
        raise InvalidInput(f"invalid CSV at line {reader.line_num}: {exc}") from None


def _csv_records(reader: csv.DictReader[str], kind: str) -> Iterator[RawRecord]:
    for row in reader:
        values: dict[str, Any] = {}
        for name, cell in row.items():
            if name is None:
                values["__extra_cells__"] = cell
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
