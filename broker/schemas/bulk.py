from __future__ import annotations

from pydantic import BaseModel, Field

# However bad a file, the report lists this many problems at most (a MiB of "{}" would otherwise
# answer with tens of megabytes); ``problem_count`` gives the total.
MAX_REPORTED_PROBLEMS = 1000


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
    problems: list[ImportProblem] = Field(
        default_factory=list, description=f"The first {MAX_REPORTED_PROBLEMS} problems, in file order"
    )
    problem_count: int = Field(default=0, description="How many problems there are in all")

    @property
    def room(self) -> int:
        """How many more problems the report lists."""
        return max(0, MAX_REPORTED_PROBLEMS - len(self.problems))

    def add_problems(self, problems: list[ImportProblem], *, total: int | None = None) -> None:
        """Count ``total`` problems (default: as many as given) and list those that fit."""
        self.problem_count += len(problems) if total is None else total
        self.problems += problems[: self.room]

    def count(self, outcome: str, kind: str) -> None:
        bucket: dict[str, int] = getattr(self, outcome)
        bucket[kind] = bucket.get(kind, 0) + 1
