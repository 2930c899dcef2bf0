"""The exchange's edit form and a side's report form, read as typed and turned into the JSON API's
``ExchangeUpdate`` and ``ReportPut`` (so every rule of those schemas applies unchanged); an error
comes back by field, with what the user typed kept."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from broker.schemas.exchange import ExchangeRead, ExchangeUpdate, ReportPut, ReportRead
from broker.services.exchanges import EDITABLE
from broker.ui.forms import MAX_CODES, MAX_LINE, MAX_TEXT, FormErrors, validated

TEXTS = ("starts_on", "ends_on", "participants", "budget_amount", "budget_currency", "budget_source",
         "requester_contact", "provider_contact", "notes")  # fmt: skip
INTEGERS = {"participants"}
AMOUNTS = {"budget_amount"}
LINES = re.compile(r"\s*\n\s*")


class ExchangeFields(BaseModel):
    """The posted edit form, every field as text (a field the viewer may not change is ignored)."""

    modalities: list[str] = Field(default=[], max_length=MAX_CODES)
    starts_on: str = Field(default="", max_length=MAX_LINE)
    ends_on: str = Field(default="", max_length=MAX_LINE)
    participants: str = Field(default="", max_length=MAX_LINE)
    budget_amount: str = Field(default="", max_length=MAX_LINE)
    budget_currency: str = Field(default="", max_length=MAX_LINE)
    budget_source: str = Field(default="", max_length=MAX_LINE)
    requester_contact: str = Field(default="", max_length=MAX_LINE)
    provider_contact: str = Field(default="", max_length=MAX_LINE)
    notes: str = Field(default="", max_length=MAX_TEXT)
    version: str = Field(default="", max_length=MAX_LINE)
    csrf_token: str = Field(default="", max_length=MAX_LINE)


class ReportFields(BaseModel):
    """The posted report form, as text."""

    outcomes: list[str] = Field(default=[], max_length=MAX_CODES)
    relevance: str = Field(default="", max_length=MAX_LINE)
    usefulness: str = Field(default="", max_length=MAX_LINE)
    adopted: str = Field(default="", max_length=MAX_TEXT)
    evidence_links: str = Field(default="", max_length=MAX_TEXT)
    version: str = Field(default="0", max_length=MAX_LINE)
    csrf_token: str = Field(default="", max_length=MAX_LINE)


@dataclass
class ExchangeForm:
    """The edit form's values exactly as typed."""

    texts: dict[str, str] = field(default_factory=dict)
    modalities: list[str] = field(default_factory=list)
    version: str = ""

    @classmethod
    def read(cls, fields: ExchangeFields) -> ExchangeForm:
        texts = {name: getattr(fields, name).strip() for name in TEXTS}
        return cls(texts=texts, modalities=list(fields.modalities), version=fields.version)

    @classmethod
    def of_exchange(cls, exchange: ExchangeRead) -> ExchangeForm:
        texts = {name: _text(getattr(exchange, name)) for name in TEXTS}
        return cls(texts=texts, modalities=list(exchange.modalities), version=str(exchange.version))

    def to_update(self, editable: frozenset[str]) -> ExchangeUpdate:
        """The fields the viewer may change, with the version the form was read at.

        Raises:
            FormErrors: a number that is not one, a lost version, or what ``ExchangeUpdate`` refuses.
        """
        errors: dict[str, list[str]] = {}
        values: dict[str, Any] = {"modalities": self.modalities} if "modalities" in editable else {}
        for name in (n for n in TEXTS if n in editable and n in EDITABLE):
            text = self.texts.get(name, "")
            try:
                values[name] = _value(name, text)
            except ValueError:
                errors[name] = ["enter a whole number" if name in INTEGERS else "enter an amount"]
        if not self.version.isdigit():
            errors["form"] = ["this form has lost its version: reload the page"]
        if errors:
            raise FormErrors(errors)
        return validated(ExchangeUpdate, {**values, "version": int(self.version)})


@dataclass
class ReportForm:
    """A side's report as typed; links one per line."""

    outcomes: list[str] = field(default_factory=list)
    relevance: str = ""
    usefulness: str = ""
    adopted: str = ""
    evidence_links: str = ""
    version: str = "0"

    @classmethod
    def read(cls, fields: ReportFields) -> ReportForm:
        return cls(
            outcomes=list(fields.outcomes),
            relevance=fields.relevance.strip(),
            usefulness=fields.usefulness.strip(),
            adopted=fields.adopted.strip(),
            evidence_links=fields.evidence_links.strip(),
            version=fields.version.strip(),
        )

    @classmethod
    def of_report(cls, report: ReportRead | None) -> ReportForm:
        if report is None:
            return cls()
        return cls(
            outcomes=list(report.outcomes),
            relevance=str(report.relevance),
            usefulness=str(report.usefulness),
            adopted=report.adopted or "",
            evidence_links="\n".join(report.evidence_links),
            version=str(report.version),
        )

    def to_put(self) -> ReportPut:
        """The whole report (PUT) with its version (0 for a first report).

        Raises:
            FormErrors: a rating that is not a number, a lost version, or what ``ReportPut`` refuses.
        """
        errors: dict[str, list[str]] = {}
        ratings: dict[str, int] = {}
        for name in ("relevance", "usefulness"):
            value = getattr(self, name)
            if not value.isdigit():
                errors[name] = ["choose a rating from 1 to 5"]
            else:
                ratings[name] = int(value)
        if not self.version.isdigit():
            errors["form"] = ["this form has lost its version: reload the page"]
        if errors:
            raise FormErrors(errors)
        links = [line for line in LINES.split(self.evidence_links) if line]
        values = {"outcomes": self.outcomes, **ratings, "adopted": self.adopted or None,
                  "evidence_links": links, "version": int(self.version)}  # fmt: skip
        return validated(ReportPut, values)


def _value(name: str, text: str) -> Any:
    if not text:
        return None
    if name in INTEGERS:
        return int(text.replace(",", ""))
    if name in AMOUNTS:
        return float(text.replace(",", ""))
    return text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
