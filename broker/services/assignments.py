"""Assigning a request to a member of the broker team, with a status and a due date.

A request without an assignment row is ``new`` and unassigned (version 0). Every change is
checked against the version the caller read, and recorded in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from broker.errors import InvalidInput, StaleVersion
from broker.models import AssignmentStatus, KnowledgeRequest, RequestAssignment, Role
from broker.repositories import workspace as repo
from broker.schemas.assignment import AssignmentRead, AssignmentWrite
from broker.services import audit, knowledge
from broker.services.principal import Principal
from broker.services.writes import check_version, flush

ASSIGNER_ROLES = (Role.admin, Role.staff, Role.broker)
# Whom a request can be given to: anyone who may work in the staff workspace.
ASSIGNEE_ROLES = ASSIGNER_ROLES


@dataclass(frozen=True, slots=True)
class Assignee:
    """A person (a user account) or a key a request can be given to."""

    key_id: int | None
    name: str
    role: str
    user_id: int | None = None

    @property
    def value(self) -> str:
        """How forms name it: ``user:ID`` for a person, the key id for a key."""
        return f"user:{self.user_id}" if self.user_id is not None else str(self.key_id)


def get_assignment(session: Session, *, principal: Principal, request_id: int) -> AssignmentRead:
    """The request's assignment as ``principal`` may see it (404 when the request is not readable)."""
    knowledge.get_item(session, KnowledgeRequest, principal=principal, item_id=request_id)
    row = repo.assignment_for(session, request_id=request_id)
    return assignment_view(row, request_id=request_id, principal=principal)


def assignment_view(
    row: RequestAssignment | None, *, request_id: int, principal: Principal
) -> AssignmentRead:
    """The row (or the default of a request never assigned); institutions get no assignee."""
    if row is None:
        view = AssignmentRead(
            request_id=request_id,
            assignee_key_id=None,
            assignee_user_id=None,
            assignee_name=None,
            status=AssignmentStatus.new,
            due_on=None,
            version=0,
            updated_at=None,
        )
    else:
        view = AssignmentRead(
            request_id=row.request_id,
            assignee_key_id=row.assignee_key_id,
            assignee_user_id=row.assignee_user_id,
            assignee_name=row.assignee_name,
            status=AssignmentStatus(row.status),
            due_on=row.due_on,
            version=row.version,
            updated_at=row.updated_at,
        )
    if principal.role == Role.institution:
        view = view.model_copy(
            update={"assignee_key_id": None, "assignee_user_id": None, "assignee_name": None}
        )
    return view


def assignees(session: Session) -> list[Assignee]:
    """Staff, broker and admin people whose account is active, then such keys (not revoked, not
    expired), each by name."""
    roles = [r.value for r in ASSIGNEE_ROLES]
    people = [
        Assignee(key_id=None, user_id=u.id, name=u.display_name, role=u.role)
        for u in repo.active_users(session, roles=roles)
    ]
    return people + [
        Assignee(key_id=k.id, name=k.name, role=k.role) for k in repo.active_keys(session, roles=roles)
    ]


def set_assignment(
    session: Session, *, principal: Principal, request_id: int, data: AssignmentWrite
) -> RequestAssignment:
    """Replace the request's assignment (staff, broker, admin), if ``data.version`` is the current one."""
    principal.require(*ASSIGNER_ROLES)
    request = knowledge.get_item(session, KnowledgeRequest, principal=principal, item_id=request_id)
    what = f"the assignment of request {request_id}"
    row = repo.assignment_for(session, request_id=request.id, lock=True)
    if row is None:
        if data.version != 0:
            raise StaleVersion(
                f"{what} does not exist yet (you sent version {data.version}, current is 0); "
                "read it again and reapply your change"
            )
    else:
        check_version(row, data.version, what=what)
    assignee = _assignee(session, data.assignee_key_id, data.assignee_user_id)
    before = _values(row)
    after = {
        "assignee_key_id": assignee.key_id if assignee else None,
        "assignee_user_id": assignee.user_id if assignee else None,
        "assignee_name": assignee.name if assignee else None,
        "status": data.status.value,
        "due_on": data.due_on.isoformat() if data.due_on else None,
    }
    if row is not None and before == after:
        return row  # nothing changed: no new version, no audit event
    if row is None:
        row = RequestAssignment(request_id=request.id)
        try:
            with session.begin_nested():
                _apply(row, after, data.due_on, assignee)
                session.add(row)
                session.flush()
        except IntegrityError:
            raise StaleVersion(f"{what} was created by someone else meanwhile; read it again") from None
    else:
        _apply(row, after, data.due_on, assignee)
        flush(session, what=what)
    audit.record(
        session,
        event="request.assigned",
        principal=principal,
        subject=f"request {request.id}",
        detail={"before": before, "after": after},
    )
    return row


def _assignee(session: Session, key_id: int | None, user_id: int | None) -> Assignee | None:
    if key_id is None and user_id is None:
        return None
    if user_id is not None:
        found = next((a for a in assignees(session) if a.user_id == user_id), None)
        field, msg = "assignee_user_id", f"user {user_id} is not an active staff, broker or admin account"
    else:
        found = next((a for a in assignees(session) if a.key_id == key_id), None)
        field, msg = "assignee_key_id", f"key {key_id} is not an active staff, broker or admin key"
    if found is None:
        raise InvalidInput([{"loc": ["body", field], "msg": msg, "type": "value_error"}])
    return found


def _apply(
    row: RequestAssignment, after: dict[str, str | int | None], due_on: date | None, who: Assignee | None
) -> None:
    row.assignee_key_id = who.key_id if who else None
    row.assignee_name = who.name if who else None
    row.assignee_user_id = who.user_id if who else None
    row.status = str(after["status"])
    row.due_on = due_on


def _values(row: RequestAssignment | None) -> dict[str, str | int | None] | None:
    if row is None:
        return None
    return {
        "assignee_key_id": row.assignee_key_id,
        "assignee_user_id": row.assignee_user_id,
        "assignee_name": row.assignee_name,
        "status": row.status,
        "due_on": row.due_on.isoformat() if row.due_on else None,
    }
