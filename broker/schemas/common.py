"""Shapes shared by every resource: pages, errors, the tracked-row header."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

ExternalId = Field(
    default=None,
    min_length=1,
    max_length=120,
    pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$",
    description="The caller's own stable identifier; makes re-imports idempotent",
)


class StrictModel(BaseModel):
    """Input models reject unknown fields, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class UpdateModel(StrictModel):
    version: int = Field(ge=1, description="The version you read; a stale version gets 409")


class TrackedRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    updated_at: datetime
    version: int


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class ErrorBody(BaseModel):
    error: str = Field(description="A stable machine-readable code, e.g. not_found, stale_version")
    detail: Any = Field(description="A readable message, or for validation_error a list of {loc, msg, type}")
