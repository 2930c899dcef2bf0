from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from broker.models import ImportJobStatus
from broker.schemas.bulk import ImportReport


class ImportJobCounts(BaseModel):
    rows_parsed: int = Field(description="Records read from the body")
    texts_to_embed: int = Field(
        description="Texts with no stored embedding yet (known once embedding starts)"
    )
    texts_embedded: int
    rows_written: int = Field(description="Records created or updated (0 until the import is written)")
    problem_count: int = Field(description="Problems found in the file (see the report)")


class ImportJobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    status: ImportJobStatus = Field(description="queued, running, succeeded or failed")
    format: str
    kind: str | None
    partial: bool
    counts: ImportJobCounts
    report: ImportReport | None = Field(description="The import's report, once it has finished")
    error: str | None = Field(description="Why it failed: bad input, problems in the file, or interrupted")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: object) -> ImportJobRead:
        counts = ImportJobCounts.model_validate(job, from_attributes=True)
        return cls.model_validate({**_columns(job), "counts": counts})


def _columns(job: object) -> dict[str, object]:
    names = ("id", "status", "format", "kind", "partial", "report", "error", "created_at", "started_at",
             "finished_at")  # fmt: skip
    return {name: getattr(job, name) for name in names}
