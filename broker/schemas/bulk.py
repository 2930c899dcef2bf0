from __future__ import annotations

from pydantic import BaseModel, Field


class ImportProblem(BaseModel):
    kind: str
    line: int = Field(description="Line in the file (CSV, NDJSON) or 1-based record number (JSON)")
    external_id: str | None
    field: str
    reason: str


class ImportReport(BaseModel):
    applied: bool = Field(default=False, description="False: nothing was written (see problems)")
    created: dict[str, int] = Field(default_factory=dict)
    updated: dict[str, int] = Field(default_factory=dict)
    unchanged: dict[str, int] = Field(default_factory=dict)
    problems: list[ImportProblem] = Field(default_factory=list)

    def count(self, outcome: str, kind: str) -> None:
        bucket: dict[str, int] = getattr(self, outcome)
        bucket[kind] = bucket.get(kind, 0) + 1
