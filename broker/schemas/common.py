"""Shapes shared by every resource: pages, errors, the tracked-row header."""

from __future__ import annotations

import re
import types
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

T = TypeVar("T")

# Ids and versions are 32-bit INTEGER columns: larger numbers cannot name a row, and would make the
# database driver fail rather than answer "not found".
MAX_ID = 2**31 - 1

ExternalId = Field(
    default=None,
    min_length=1,
    max_length=120,
    pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$",
    description="The caller's own stable identifier; makes re-imports idempotent",
)


# NUL cannot be stored in PostgreSQL text, and an unpaired surrogate (valid in JSON as "\ud800")
# cannot be encoded as UTF-8 at all: either would fail in the database driver, not as a 422.
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


def check_storable_text(value: Any) -> Any:
    """Refuse a string, or a list of strings, holding characters no database column can keep."""
    for item in value if isinstance(value, list) else (value,):
        if isinstance(item, str) and UNSTORABLE_TEXT.search(item):
            raise ValueError("text must not contain NUL characters or unpaired UTF-16 surrogates")
    return value


def _in_utc(value: datetime) -> datetime:
    # 9999-12-31T23:00:00-14:00 is past the last representable instant once in UTC: say so as a 422,
    # before a comparison or the database driver overflows.
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the date-time is out of range once converted to UTC") from None


# A date-time from a client, turned into UTC (naive input is taken to be UTC already).
UtcDateTime = Annotated[datetime, AfterValidator(_in_utc)]


# Validation context of records read from text cells (CSV), where every number arrives as a string.
TEXT_CELLS = "text_cells"


def _number_shape(annotation: Any) -> str | None:
    """Whether a field holds a number ("scalar", optional or not) or a list of numbers ("list")."""
    union = get_origin(annotation) in (Union, types.UnionType)
    for arg in get_args(annotation) if union else (annotation,):
        if arg in (int, float):
            return "scalar"
        if get_origin(arg) is list and get_args(arg) and get_args(arg)[0] in (int, float):
            return "list"
    return None


@cache
def _number_fields(model: type[BaseModel]) -> dict[str, str]:
    shapes = {name: _number_shape(field.annotation) for name, field in model.model_fields.items()}
    return {name: shape for name, shape in shapes.items() if shape}


class StrictModel(BaseModel):
    """Input models reject unknown fields, so a typo is an error rather than silently ignored, and take
    numbers only as JSON numbers: ``true`` or ``"12"`` is not a capacity (CSV cells excepted)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        return check_storable_text(value)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        shape = _number_fields(cls).get(info.field_name or "")
        if shape is None or (info.context or {}).get(TEXT_CELLS):
            return value
        items = value if shape == "list" and isinstance(value, list) else [value]
        if any(isinstance(item, bool | str) for item in items):
            raise ValueError("must be a number, not a string or a boolean")
        return value


def examples(*items: dict[str, Any]) -> ConfigDict:
    """A model config that puts ``items`` in the model's JSON schema (shown and sent from /docs)."""
    return ConfigDict(json_schema_extra={"examples": list(items)})


class UpdateModel(StrictModel):
    version: int = Field(ge=1, le=MAX_ID, description="The version you read; a stale version gets 409")


class TrackedRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    updated_at: datetime
    version: int


class PageLinks(BaseModel):
    next: str | None = Field(default=None, description="URL of the next page; null on the last page")
    prev: str | None = Field(default=None, description="URL of the previous page; null on the first page")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="Rows matching the filters, on every page")
    limit: int
    offset: int
    links: PageLinks = Field(
        default_factory=PageLinks, description="The neighbouring pages, with the same filters"
    )


class ErrorBody(BaseModel):
    error: str = Field(description="A stable machine-readable code, e.g. not_found, stale_version")
    detail: Any = Field(description="A readable message, or for validation_error a list of {loc, msg, type}")
