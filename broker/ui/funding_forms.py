"""The funding window form, read as typed and turned into the JSON API's ``FundingWindowCreate`` and
``FundingWindowUpdate`` (so every rule of those schemas applies unchanged); an error comes back by
field, with what the user typed kept."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from broker.models import FundingWindow
from broker.schemas.funding import FundingWindowCreate, FundingWindowUpdate
from broker.ui.forms import MAX_CODES, MAX_LINE, MAX_TEXT, FormErrors, validated

# Typed as codes separated by commas or spaces.
CODE_LISTS = (
    "sectors",
    "receiving_countries",
    "receiving_regions",
    "providing_countries",
    "providing_regions",
)
# Ticked from the reference lists.
CHOICES = ("receiving_income_levels", "providing_income_levels", "modalities")
AMOUNTS = ("max_per_exchange_usd", "envelope_usd")
TEXTS = ("title", "mandate", *AMOUNTS, "cofinancing_percent", "opens_on", "closes_on", "status")
SPLIT = re.compile(r"[\s,;]+")


class WindowFields(BaseModel):
    """The posted form, every field as text or a list of ticked codes."""

    institution_id: str = Field(default="", max_length=MAX_LINE)
    title: str = Field(default="", max_length=MAX_TEXT)
    mandate: str = Field(default="", max_length=MAX_TEXT)
    sectors: str = Field(default="", max_length=MAX_TEXT)
    receiving_countries: str = Field(default="", max_length=MAX_TEXT)
    receiving_regions: str = Field(default="", max_length=MAX_TEXT)
    providing_countries: str = Field(default="", max_length=MAX_TEXT)
    providing_regions: str = Field(default="", max_length=MAX_TEXT)
    receiving_income_levels: list[str] = Field(default=[], max_length=MAX_CODES)
    providing_income_levels: list[str] = Field(default=[], max_length=MAX_CODES)
    modalities: list[str] = Field(default=[], max_length=MAX_CODES)
    max_per_exchange_usd: str = Field(default="", max_length=MAX_LINE)
    envelope_usd: str = Field(default="", max_length=MAX_LINE)
    cofinancing_percent: str = Field(default="", max_length=MAX_LINE)
    opens_on: str = Field(default="", max_length=MAX_LINE)
    closes_on: str = Field(default="", max_length=MAX_LINE)
    status: str = Field(default="open", max_length=MAX_LINE)
    version: str = Field(default="", max_length=MAX_LINE)
    csrf_token: str = Field(default="", max_length=MAX_LINE)


@dataclass
class WindowForm:
    """The form's values exactly as typed (so a refused form comes back as it was)."""

    institution_id: str = ""
    texts: dict[str, str] = field(default_factory=lambda: {"status": "open"})
    codes: dict[str, str] = field(default_factory=dict)
    choices: dict[str, list[str]] = field(default_factory=dict)
    version: str = ""

    @classmethod
    def read(cls, fields: WindowFields) -> WindowForm:
        return cls(
            institution_id=fields.institution_id.strip(),
            texts={name: getattr(fields, name).strip() for name in TEXTS},
            codes={name: getattr(fields, name).strip() for name in CODE_LISTS},
            choices={name: list(getattr(fields, name)) for name in CHOICES},
            version=fields.version.strip(),
        )

    @classmethod
    def of_window(cls, window: FundingWindow) -> WindowForm:
        texts = {name: _text(getattr(window, name)) for name in TEXTS if name != "cofinancing_percent"}
        texts["cofinancing_percent"] = _text(round(window.cofinancing_share * 100, 4))
        return cls(
            institution_id=str(window.institution_id),
            texts=texts,
            codes={name: ", ".join(getattr(window, name)) for name in CODE_LISTS},
            choices={name: list(getattr(window, name)) for name in CHOICES},
            version=str(window.version),
        )

    def payload(self) -> dict[str, Any]:
        """The fields this form sets, in the JSON API's names.

        Raises:
            FormErrors: an amount or a percentage that is not a number.
        """
        errors: dict[str, list[str]] = {}
        values: dict[str, Any] = {name: self.texts.get(name, "") for name in ("title", "mandate", "status")}
        values |= {name: [c for c in SPLIT.split(self.codes.get(name, "")) if c] for name in CODE_LISTS}
        values |= {name: list(self.choices.get(name, [])) for name in CHOICES}
        for name in ("opens_on", "closes_on"):
            values[name] = self.texts.get(name) or None
        for name in (*AMOUNTS, "cofinancing_percent"):
            text = self.texts.get(name, "").replace(",", "").replace("$", "").replace("%", "").strip()
            try:
                number = float(text) if text else None
            except ValueError:
                errors[name] = ["enter a number"]
                continue
            if name == "cofinancing_percent":
                values["cofinancing_share"] = 0.0 if number is None else number / 100
            else:
                values[name] = number
        if errors:
            raise FormErrors(errors)
        return values

    def to_create(self, *, institution_id: int | None) -> FundingWindowCreate:
        """The create payload for ``institution_id`` (the viewer's own, or the one chosen by staff)."""
        return validated(FundingWindowCreate, {**self.payload(), "institution_id": institution_id})

    def to_update(self) -> FundingWindowUpdate:
        """The update payload with the version the form was read at.

        Raises:
            FormErrors: the version is missing or not a number (a tampered form).
        """
        if not self.version.isdigit():
            raise FormErrors({"form": ["this form has lost its version: reload the page"]})
        return validated(FundingWindowUpdate, {**self.payload(), "version": int(self.version)})


def form_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Errors keyed by the form's field names (the share is typed as a percentage)."""
    return {("cofinancing_percent" if k == "cofinancing_share" else k): v for k, v in errors.items()}


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
