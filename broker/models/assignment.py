"""Who on the broker team looks after a request, how far they have got, and by when."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from broker.models.base import Base, Tracked
from broker.models.institution import enum_check


class AssignmentStatus(StrEnum):
    """The team's own progress on a request, apart from the request's status (its author's word)."""

    new = "new"
    in_review = "in_review"
    proposed = "proposed"  # a shortlist went to the parties
    closed = "closed"


class RequestAssignment(Tracked, Base):
    """At most one row per request; a request without one is ``new`` and unassigned.

    The assignee is a principal: today an API key (``assignee_key_id``). ``assignee_user_id`` is for
    user accounts (no foreign key yet: that table lives elsewhere); ``assignee_name`` keeps the name
    shown when the assignment was made, so lists need no join and a revoked key keeps its name.
    """

    __tablename__ = "request_assignments"
    __table_args__ = (enum_check("status", AssignmentStatus),)

    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), unique=True, index=True
    )
    assignee_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"), index=True
    )
    assignee_user_id: Mapped[int | None] = mapped_column(Integer, index=True)
    assignee_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=AssignmentStatus.new)
    due_on: Mapped[date | None]
