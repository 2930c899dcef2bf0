"""Portfolio plans: the request to build one, the plan as solved, and shortlisting its lines."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, Field, model_validator

from broker.models.plan import FundingMode
from broker.reference.validation import validate_regions
from broker.schemas.common import MAX_ID, StrictModel, examples
from broker.schemas.ranking import PartySummary, ReasonDetail
from broker.schemas.triangle import WindowSummary

MAX_PLAN_REQUESTS = 5_000


def _one_region(value: str) -> str:
    return validate_regions([value])[0]


def _unique(values: list[int] | None) -> list[int] | None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError("an id is listed twice")
    return values


class FloorIn(StrictModel):
    """At least this share (or number) of a region's requests in the plan get an offer."""

    region: Annotated[str, AfterValidator(_one_region)] = Field(
        description="M49 region, sub-region or intermediate region (code or English name), e.g. 002"
    )
    min_share: float | None = Field(default=None, gt=0, le=1, description="Share of its requests, (0, 1]")
    min_served: int | None = Field(default=None, ge=0, le=MAX_PLAN_REQUESTS, description="Or a number")

    @model_validator(mode="after")
    def _exactly_one(self) -> Self:
        if (self.min_share is None) == (self.min_served is None):
            raise ValueError("a floor sets exactly one of min_share and min_served")
        return self


class PlanCreate(StrictModel):
    model_config = examples(
        {"name": "Q1 portfolio", "offers_per_request": 1, "funding": "optional",
         "floors": [{"region": "002", "min_share": 0.5}]},
        {"request_ids": [12, 15, 31], "candidates_per_request": 5, "funding": "none"},
    )  # fmt: skip

    name: str = Field(default="Portfolio plan", min_length=1, max_length=200)
    request_ids: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None, AfterValidator(_unique)] = (
        Field(
            default=None,
            max_length=MAX_PLAN_REQUESTS,
            description="Open requests to plan for (default: every open request)",
        )
    )
    offers_per_request: int = Field(default=1, ge=1, le=5, description="k: at most this many offers each")
    candidates_per_request: int = Field(
        default=10, ge=1, le=50, description="Each request's best offers the plan may choose from"
    )
    include_weak: bool = Field(
        default=False,
        description="Let weak fits (not a good match: off topic or impractical) be lines; by default a "
        "request whose candidates are all weak stays unserved, and counts in the what-if",
    )
    funding: FundingMode = Field(
        default=FundingMode.none,
        description="none: offers only; optional: a funding window where one may finance the pair (an "
        "unfunded line counts as the window factor's floor); required: every line financed by a window",
    )
    windows_per_pair: int = Field(default=5, ge=1, le=50, description="Each pair's best windows considered")
    floors: list[FloorIn] = Field(default_factory=list, max_length=20)
    profile: str | None = Field(default=None, max_length=80, description="Scoring profile (default one)")
    time_limit_seconds: float = Field(default=30, gt=0, le=120, description="Solver time limit")
    new_offer_capacity: int | None = Field(
        default=None, ge=1, le=10_000, description="Capacity of the hypothetical new offer in the what-if"
    )


class DisplacedRead(BaseModel):
    """What a request would have taken on its own, and why the plan gives it something else."""

    offer: PartySummary
    window: WindowSummary | None
    score: float
    reason: Literal["capacity", "envelope", "floors", "tie", "not_proven"] = Field(
        description="capacity: the offer's yearly capacity went to held_by; envelope: the window's money "
        "went elsewhere; floors: a fairness floor led elsewhere; tie: the plan's line scores as much; "
        "not_proven: the solver stopped at its time limit"
    )
    held_by: list[PartySummary] = Field(description="The requests holding the offer (capacity)")


class PlanLineRead(BaseModel):
    id: int
    request: PartySummary
    offer: PartySummary | None = Field(description="Null: the plan serves this request with no offer")
    window: WindowSummary | None
    score: float | None = Field(description="What the plan maximises: the pair's score with the window's fit")
    pair_score: float | None
    rank: int | None = Field(description="The offer's rank in the request's own list")
    cost_usd: float | None
    needed_usd: float | None = Field(description="What the window pays")
    reasons: list[ReasonDetail] = Field(description="Why the window fits (empty without one)")
    displaced: list[DisplacedRead]
    match_id: int | None
    shortlisted_at: datetime | None


class CellRead(BaseModel):
    sector_group: str | None
    region: str | None
    unserved: int = Field(description="Requests of the cell the plan gives no offer")
    open: int = Field(description="Requests of the cell with fewer than k offers")
    would_serve: int = Field(description="Requests one more offer here would serve (its capacity permitting)")


class PlanRead(BaseModel):
    id: int
    name: str
    profile: str
    funding: FundingMode
    offers_per_request: int
    parameters: dict[str, Any]
    solver_status: Literal["optimal", "time_limit", "infeasible"]
    objective: float | None = Field(description="Total score of the plan's lines")
    bound: float | None = Field(description="The solver's proven upper bound on the objective")
    greedy_objective: float = Field(description="Total when each request in turn takes its own best")
    greedy_meets_floors: bool
    solve_ms: float
    n_requests: int
    n_candidates: int
    n_served: int
    shortfalls: list[dict[str, Any]] = Field(description="When infeasible: the floors that cannot be met")
    unlock: list[CellRead] = Field(description="What one more offer would unlock, by sector group x region")
    created_at: datetime
    created_by_name: str
    version: int
    lines: list[PlanLineRead]


class PlanSummary(BaseModel):
    id: int
    name: str
    solver_status: str
    objective: float | None
    greedy_objective: float
    n_requests: int
    n_served: int
    created_at: datetime
    created_by_name: str


class ShortlistCreate(StrictModel):
    model_config = examples({"line_ids": [4, 9, 10], "note": "From the Q1 plan"})

    line_ids: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], AfterValidator(_unique)] = Field(
        min_length=1, max_length=500, description="Lines of this plan to shortlist"
    )
    note: str | None = Field(default=None, max_length=5000, description="For staff only")
