"""The assignment form (all text) turned into the schema the JSON API takes, with the same validation."""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError

from broker.errors import InvalidInput
from broker.models import AssignmentStatus
from broker.schemas.assignment import AssignmentWrite


def assignment_form(*, assignee: str, status: AssignmentStatus, due_on: str, version: int) -> AssignmentWrite:
    """The assignment form's fields; an empty assignee or due date means none."""
    assignee = assignee.strip()
    person = assignee.removeprefix("user:") if assignee.startswith("user:") else None
    if (person is not None and not person.isdigit()) or (
        person is None and assignee and not assignee.isdigit()
    ):
        raise InvalidInput("choose the assignee from the list")
    try:
        due = date.fromisoformat(due_on.strip()) if due_on.strip() else None
    except ValueError:
        raise InvalidInput(f"{due_on!r} is not a date (YYYY-MM-DD)") from None
    try:
        return AssignmentWrite(
            assignee_key_id=int(assignee) if assignee and person is None else None,
            assignee_user_id=int(person) if person else None,
            status=status,
            due_on=due,
            version=version,
        )
    except ValidationError as exc:
        raise InvalidInput([f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]) from None
