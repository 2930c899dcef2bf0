"""Triangular matching: (offer, window) or (request, window) pairs with a combined score and reasons."""

from __future__ import annotations

from pydantic import BaseModel, Field

from broker.schemas.ranking import PartySummary, ReasonDetail


class WindowSummary(BaseModel):
    """A funding window in one line: who funds it, how much per exchange, what is left."""

    id: int
    title: str
    institution_id: int
    institution_name: str
    max_per_exchange_usd: float
    remaining_usd: float = Field(description="The envelope less what non-cancelled exchanges commit")
    cofinancing_share: float = Field(description="Share of the pair's cost the partners cover themselves")


class TriangleItem(BaseModel):
    rank: int
    score: float = Field(
        description="pair_score x (0.7 + 0.3 x window_fit): a window lowers a pair by at most 30%"
    )
    pair_score: float = Field(description="The match score of request and offer")
    window_fit: float = Field(description="Mean of sector_fit and mandate_fit, in [0, 1]")
    sector_fit: float = Field(description="1 the window names a purpose code, 0.75 its group, 0.5 any sector")
    mandate_fit: float = Field(description="The mandate's semantic fit with the request (0.5 without one)")
    cost_usd: float = Field(description="The pair's estimated cost")
    needed_usd: float = Field(description="What the window would pay: the cost less the co-financing")
    modality: str = Field(description="The modality the cost estimate assumes")
    request: PartySummary
    offer: PartySummary
    window: WindowSummary
    reasons: list[str] = Field(
        description="Why the window fits, in the language Accept-Language asks for (en, es, fr, pt)"
    )
    reasons_detail: list[ReasonDetail] = Field(description="The same reasons as codes and parameters")


class TriangleList(BaseModel):
    items: list[TriangleItem]
    pairs_considered: int = Field(description="Ranked pairs checked against the windows")
    windows_considered: int = Field(description="Open windows checked")
    profile: str | None = Field(description="The scoring profile that ranked the pairs (None: stored lists)")
