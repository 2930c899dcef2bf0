"""The plain-language form an institution fills in for its own requests and offers.

A form arrives as text fields: this module reads them, turns them into the JSON API's create and
update payloads (so every rule of those schemas applies unchanged), and maps any error back to the
field it belongs to, so the page can show the message next to it and keep what the user typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

from broker.errors import InvalidInput
from broker.reference import get_reference
from broker.schemas.knowledge import OfferCreate, OfferUpdate, RequestCreate, RequestUpdate
from broker.services.suggestions import CONFIDENT

Kind = Literal["request", "offer"]
CODE_KINDS: dict[Kind, tuple[str, ...]] = {
    "request": ("sectors", "sdgs", "modalities", "outcomes"),
    "offer": ("sectors", "sdgs", "modalities"),
}
NUMBERS: dict[Kind, tuple[str, ...]] = {
    "request": ("budget_usd", "participants"),
    "offer": ("cost_usd", "capacity_per_year"),
}
INTEGERS = {"participants", "capacity_per_year"}
# The statuses an institution chooses from here (the schemas decide what is valid).
STATUSES: dict[Kind, tuple[str, ...]] = {
    "request": ("open", "draft", "closed"),
    "offer": ("published", "draft", "archived"),
}
# form field -> payload field, where they differ
PAYLOAD_NAME = {"outcomes": "desired_outcomes"}
FORM_NAME = {v: k for k, v in PAYLOAD_NAME.items()}
SPLIT = re.compile(r"[\s,;]+")
# Generous bounds on the raw form; the payload schemas then apply the real limits with messages.
MAX_TEXT = 40_000
MAX_LINE = 500
MAX_CODES = 100


class FormFields(BaseModel):
    """The posted form, every field as text; ``RecordForm`` judges them (so errors can be shown in place)."""

    title: str = Field(default="", max_length=MAX_TEXT)
    description: str = Field(default="", max_length=MAX_TEXT)
    sectors: list[str] = Field(default=[], max_length=MAX_CODES)
    sdgs: list[str] = Field(default=[], max_length=MAX_CODES)
    modalities: list[str] = Field(default=[], max_length=MAX_CODES)
    outcomes: list[str] = Field(default=[], max_length=MAX_CODES)
    more_sectors: str = Field(default="", max_length=MAX_LINE)
    more_sdgs: str = Field(default="", max_length=MAX_LINE)
    more_modalities: str = Field(default="", max_length=MAX_LINE)
    more_outcomes: str = Field(default="", max_length=MAX_LINE)
    budget_usd: str = Field(default="", max_length=MAX_LINE)
    participants: str = Field(default="", max_length=MAX_LINE)
    cost_usd: str = Field(default="", max_length=MAX_LINE)
    capacity_per_year: str = Field(default="", max_length=MAX_LINE)
    status: str = Field(default="", max_length=MAX_LINE)
    version: str = Field(default="", max_length=MAX_LINE)
    action: Literal["suggest", "save"] = "save"
    csrf_token: str = Field(default="", max_length=MAX_LINE)


@dataclass
class CodeOption:
    """One checkbox: a code, its label, and whether it is a suggestion (with its confidence)."""

    code: str
    name: str
    checked: bool
    confidence: float | None = None

    @property
    def suggested(self) -> bool:
        return self.confidence is not None


@dataclass
class RecordForm:
    """What the user typed, exactly as typed (so a refused form comes back as it was)."""

    kind: Kind
    title: str = ""
    description: str = ""
    codes: dict[str, list[str]] = field(default_factory=dict)  # checked codes per kind
    more: dict[str, str] = field(default_factory=dict)  # "other codes" text per kind
    numbers: dict[str, str] = field(default_factory=dict)
    status: str = ""
    version: str = ""

    @classmethod
    def read(cls, kind: Kind, fields: FormFields) -> RecordForm:
        """From the posted fields (a field the kind does not have is ignored)."""
        return cls(
            kind=kind,
            title=fields.title.strip(),
            description=fields.description.strip(),
            codes={k: list(getattr(fields, k)) for k in CODE_KINDS[kind]},
            more={k: getattr(fields, f"more_{k}").strip() for k in CODE_KINDS[kind]},
            numbers={n: getattr(fields, n).strip() for n in NUMBERS[kind]},
            status=fields.status or STATUSES[kind][0],
            version=fields.version,
        )

    @classmethod
    def of_item(cls, kind: Kind, item: Any) -> RecordForm:
        """Pre-filled from a stored offer or request, for editing it."""
        codes = {k: [str(c) for c in getattr(item, PAYLOAD_NAME.get(k, k))] for k in CODE_KINDS[kind]}
        numbers = {n: _number_text(getattr(item, n)) for n in NUMBERS[kind]}
        return cls(
            kind=kind,
            title=item.title,
            description=item.description,
            codes=codes,
            numbers=numbers,
            status=item.status,
            version=str(item.version),
        )

    def chosen(self, kind: str) -> list[str]:
        """Checked codes plus the typed "other codes", in order, without repeats."""
        typed = [c for c in SPLIT.split(self.more.get(kind, "")) if c]
        return list(dict.fromkeys([*self.codes.get(kind, []), *typed]))

    def options(self, kind: str, suggested: Mapping[str, Any] | None) -> list[CodeOption]:
        """Checkboxes for one kind: the chosen codes (checked), then the suggestions not chosen."""
        chosen = self.codes.get(kind, [])
        entries = {str(e["code"]): e for e in (suggested or {}).get(kind, [])}
        options = [
            CodeOption(code=code, name=label(kind, code), checked=True, confidence=_confidence(entries, code))
            for code in chosen
        ]
        options += [
            CodeOption(
                code=code,
                name=str(entry.get("name") or label(kind, code)),
                checked=False,
                confidence=float(entry["confidence"]),
            )
            for code, entry in entries.items()
            if code not in chosen
        ]
        return options

    def accept_confident(self, suggested: Mapping[str, Any]) -> None:
        """Check the confident suggestions (the author unchecks what does not apply)."""
        for kind in CODE_KINDS[self.kind]:
            for entry in suggested.get(kind, []):
                code = str(entry["code"])
                if float(entry["confidence"]) >= CONFIDENT and code not in self.codes.setdefault(kind, []):
                    self.codes[kind].append(code)

    def payload(self) -> dict[str, Any]:
        """The fields this form sets, in the JSON API's names.

        Raises:
            FormErrors: a number that is not a number, or an SDG that is not an integer.
        """
        errors: dict[str, list[str]] = {}
        values: dict[str, Any] = {"title": self.title, "description": self.description}
        for kind in CODE_KINDS[self.kind]:
            codes: list[Any] = self.chosen(kind)
            if kind == "sdgs":
                try:
                    codes = [int(c) for c in codes]
                except ValueError:
                    errors[kind] = ["SDGs are goal numbers from 1 to 17"]
            values[PAYLOAD_NAME.get(kind, kind)] = codes
        for name in NUMBERS[self.kind]:
            text = self.numbers.get(name, "").replace(",", "").replace("$", "").strip()
            if not text:
                values[name] = None
                continue
            try:
                values[name] = int(text) if name in INTEGERS else float(text)
            except ValueError:
                errors[name] = ["enter a whole number" if name in INTEGERS else "enter an amount in USD"]
        values["status"] = self.status
        if errors:
            raise FormErrors(errors)
        return values

    def to_create(self) -> RequestCreate | OfferCreate:
        """The create payload; the institution's own id, country and languages are filled in later."""
        model: type[RequestCreate | OfferCreate] = RequestCreate if self.kind == "request" else OfferCreate
        return validated(model, self.payload())

    def to_update(self) -> RequestUpdate | OfferUpdate:
        """The update payload with the version the form was read at.

        Raises:
            FormErrors: the version is missing or not a number (a tampered form).
        """
        if not self.version.isdigit():
            raise FormErrors({"form": ["this form has lost its version: reload the page"]})
        model: type[RequestUpdate | OfferUpdate] = RequestUpdate if self.kind == "request" else OfferUpdate
        return validated(model, {**self.payload(), "version": int(self.version)})


class FormErrors(Exception):
    """Messages per form field (``"form"`` for the form as a whole)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors

    @classmethod
    def of(cls, exc: InvalidInput) -> FormErrors:
        """From a service's 422 (``[{"loc": ["body", field], "msg": ...}]`` or a sentence)."""
        detail = exc.detail if isinstance(exc.detail, list) else [{"loc": [], "msg": str(exc.detail)}]
        return cls(_by_field(detail))


def label(kind: str, code: str) -> str:
    """The reference name of a code, or the code itself when it is unknown."""
    ref = get_reference()
    found: Any = {
        "sectors": ref.sector,
        "sdgs": ref.sdg,
        "modalities": ref.modality,
        "outcomes": ref.outcome,
    }[kind](code)
    return found.name if found else code


Payload = TypeVar("Payload", bound=BaseModel)


def validated(model: type[Payload], values: dict[str, Any]) -> Payload:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise FormErrors(_by_field(exc.errors())) from None


def _by_field(errors: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", []) if part != "body"]
        name = FORM_NAME.get(loc[0], loc[0]) if loc else "form"
        message = str(error.get("msg", "not valid")).removeprefix("Value error, ")
        found.setdefault(name, []).append(message)
    return found


def _confidence(entries: Mapping[str, Any], code: str) -> float | None:
    entry = entries.get(code)
    return float(entry["confidence"]) if entry else None


def _number_text(value: float | int | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
