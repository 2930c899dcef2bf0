"""Portfolio plans: one proposed assignment of offers (and funding windows) to many open requests.

A plan is a proposal the broker team reviews, not a decision: it is stored as it was solved (the
parameters, the solver's status and objective against the greedy baseline, what-if cells), with one
line per request in it. Staff turn chosen lines into shortlisted matches; a line remembers the
match it became.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from broker.models.base import Base, Tracked, utcnow
from broker.models.institution import enum_check


class FundingMode(StrEnum):
    none = "none"  # offers only
    optional = "optional"  # a window when one fits; a line without one counts its score's floor
    required = "required"  # every line financed by an eligible window


class PlanStatus(StrEnum):
    optimal = "optimal"
    time_limit = "time_limit"
    infeasible = "infeasible"


class PortfolioPlan(Tracked, Base):
    __tablename__ = "portfolio_plans"
    __table_args__ = (
        enum_check("solver_status", PlanStatus),
        enum_check("funding", FundingMode),
        CheckConstraint("offers_per_request >= 1", name="offers_per_request_positive"),
    )

    name: Mapped[str] = mapped_column(String(200))
    profile: Mapped[str] = mapped_column(String(100))
    funding: Mapped[str] = mapped_column(String(10))
    offers_per_request: Mapped[int] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any]] = mapped_column()  # the request as given (ids, floors, limits)
    solver_status: Mapped[str] = mapped_column(String(12))
    objective: Mapped[float | None] = mapped_column(Float)
    bound: Mapped[float | None] = mapped_column(Float)
    greedy_objective: Mapped[float] = mapped_column(Float)
    greedy_meets_floors: Mapped[bool] = mapped_column()
    solve_ms: Mapped[float] = mapped_column(Float)
    n_requests: Mapped[int] = mapped_column(Integer)
    n_candidates: Mapped[int] = mapped_column(Integer)
    n_served: Mapped[int] = mapped_column(Integer)
    shortfalls: Mapped[list[dict[str, Any]]] = mapped_column(default=list)
    unlock: Mapped[list[dict[str, Any]]] = mapped_column(default=list)  # what one more offer would serve
    created_by_name: Mapped[str] = mapped_column(String(200))
    created_by_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class PortfolioLine(Base):
    """One request of a plan: its proposed offer and window, or none, and what it gave up."""

    __tablename__ = "portfolio_plan_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("portfolio_plans.id", ondelete="CASCADE"), index=True)
    # A line goes with its request or offer when either is deleted (a plan is a proposal).
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), index=True)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    funding_window_id: Mapped[int | None] = mapped_column(
        ForeignKey("funding_windows.id", ondelete="SET NULL")
    )
    score: Mapped[float | None] = mapped_column(Float)  # what the plan maximises (with the window's fit)
    pair_score: Mapped[float | None] = mapped_column(Float)  # the match score of request and offer
    rank: Mapped[int | None] = mapped_column(Integer)  # the offer's rank in the request's own list
    needed_usd: Mapped[float | None] = mapped_column(Float)  # what the window pays
    cost_usd: Mapped[float | None] = mapped_column(Float)  # the pair's estimated cost
    reasons_detail: Mapped[list[dict[str, Any]]] = mapped_column(default=list)  # the window's reasons
    # The request's own best line when the plan gives it another (or none), and why.
    displaced: Mapped[dict[str, Any] | None] = mapped_column()
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id", ondelete="SET NULL"))
    shortlisted_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
