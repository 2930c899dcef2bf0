"""Assigning a request: who, status, due date, the version check and the audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from broker.models import ApiKey, AssignmentStatus, AuditEvent, Institution, RequestAssignment, Role
from broker.schemas.assignment import AssignmentWrite
from broker.services import assignments, keys, ui_workspace
from broker.services.principal import Principal
from tests.factories import make_caller, make_institution, make_request, make_user


def _principal(session: Session, role: str, institution: Institution | None = None) -> Principal:
    caller = make_caller(session, role, institution)
    return Principal(
        key_id=caller.key_id,
        name=f"test {role}",
        role=Role(role),
        institution_id=institution.id if institution else None,
    )


def test_a_request_never_assigned_is_new_unassigned_version_zero(session: Session) -> None:
    request = make_request(session)
    view = assignments.get_assignment(session, principal=_principal(session, "staff"), request_id=request.id)
    assert (view.status, view.assignee_key_id, view.due_on, view.version) == ("new", None, None, 0)


def test_assigning_stores_the_assignee_name_status_due_date_and_an_audit_event(session: Session) -> None:
    request = make_request(session)
    staff = _principal(session, "staff")
    broker = make_caller(session, "broker")
    data = AssignmentWrite(
        assignee_key_id=broker.key_id, status=AssignmentStatus.in_review, due_on=date(2027, 1, 15), version=0
    )
    row = assignments.set_assignment(session, principal=staff, request_id=request.id, data=data)
    assert (row.assignee_key_id, row.assignee_name, row.status) == (broker.key_id, "test broker", "in_review")
    assert row.due_on == date(2027, 1, 15) and row.version == 1
    session.flush()
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.event == "request.assigned")).all()
    assert event.subject == f"request {request.id}" and event.actor_key_id == staff.key_id
    assert event.detail == {
        "before": None,
        "after": {
            "assignee_key_id": broker.key_id,
            "assignee_user_id": None,
            "assignee_name": "test broker",
            "status": "in_review",
            "due_on": "2027-01-15",
        },
    }


def test_a_change_needs_the_current_version_and_a_stale_one_changes_nothing(session: Session) -> None:
    request = make_request(session)
    staff = _principal(session, "staff")
    first = AssignmentWrite(status=AssignmentStatus.in_review, version=0)
    assignments.set_assignment(session, principal=staff, request_id=request.id, data=first)
    for stale in (0, 2):
        with pytest.raises(StaleVersion):
            data = AssignmentWrite(status=AssignmentStatus.closed, version=stale)
            assignments.set_assignment(session, principal=staff, request_id=request.id, data=data)
    row = session.scalars(select(RequestAssignment)).one()
    assert row.status == "in_review" and row.version == 1
    later = AssignmentWrite(status=AssignmentStatus.proposed, version=1)
    assert (
        assignments.set_assignment(session, principal=staff, request_id=request.id, data=later).version == 2
    )


def test_a_first_assignment_must_name_version_zero(session: Session) -> None:
    request = make_request(session)
    with pytest.raises(StaleVersion, match="does not exist yet"):
        data = AssignmentWrite(status=AssignmentStatus.in_review, version=3)
        assignments.set_assignment(
            session, principal=_principal(session, "admin"), request_id=request.id, data=data
        )
    assert session.scalars(select(RequestAssignment)).all() == []


def test_saving_the_same_values_again_writes_nothing(session: Session) -> None:
    request = make_request(session)
    staff = _principal(session, "staff")
    data = AssignmentWrite(status=AssignmentStatus.in_review, version=0)
    assignments.set_assignment(session, principal=staff, request_id=request.id, data=data)
    again = AssignmentWrite(status=AssignmentStatus.in_review, version=1)
    assert (
        assignments.set_assignment(session, principal=staff, request_id=request.id, data=again).version == 1
    )
    session.flush()
    assert len(session.scalars(select(AuditEvent).where(AuditEvent.event == "request.assigned")).all()) == 1


@pytest.mark.parametrize("kind", ["institution key", "revoked key", "missing key"])
def test_only_an_active_workspace_key_can_be_the_assignee(session: Session, kind: str) -> None:
    request = make_request(session)
    if kind == "institution key":
        key_id = make_caller(session, "institution", make_institution(session)).key_id
    elif kind == "revoked key":
        make_caller(session, "admin")  # so the revoked one is not the last admin
        key_id = make_caller(session, "staff").key_id
        keys.revoke_key(session, key_id=key_id)
    else:
        key_id = 999_999
    data = AssignmentWrite(assignee_key_id=key_id, version=0)
    with pytest.raises(InvalidInput) as raised:
        assignments.set_assignment(
            session, principal=_principal(session, "staff"), request_id=request.id, data=data
        )
    assert "not an active staff, broker or admin key" in str(raised.value.detail)
    assert session.scalars(select(RequestAssignment)).all() == []


def test_institutions_cannot_assign_and_read_no_assignee(session: Session) -> None:
    owner = make_institution(session)
    request = make_request(session, owner)
    staff = _principal(session, "staff")
    data = AssignmentWrite(assignee_key_id=staff.key_id, status=AssignmentStatus.in_review, version=0)
    assignments.set_assignment(session, principal=staff, request_id=request.id, data=data)
    institution = _principal(session, "institution", owner)
    with pytest.raises(Forbidden):
        assignments.set_assignment(session, principal=institution, request_id=request.id, data=data)
    view = assignments.get_assignment(session, principal=institution, request_id=request.id)
    assert view.status == "in_review" and view.assignee_key_id is None and view.assignee_name is None


def test_an_unknown_request_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        data = AssignmentWrite(version=0)
        assignments.set_assignment(
            session, principal=_principal(session, "staff"), request_id=999_999, data=data
        )


def test_assignees_are_the_active_workspace_keys_by_name(session: Session) -> None:
    make_caller(session, "institution", make_institution(session))
    broker = make_caller(session, "broker")
    staff = make_caller(session, "staff")
    found = {a.key_id: a for a in assignments.assignees(session)}
    assert broker.key_id in found and staff.key_id in found
    roles = {session.get_one(ApiKey, key_id).role for key_id in found}
    assert roles <= {"admin", "staff", "broker"}
    names = [a.name.lower() for a in assignments.assignees(session)]
    assert names == sorted(names)


def test_a_request_can_be_given_to_a_person_and_found_as_theirs(session: Session) -> None:
    request = make_request(session)
    staff = _principal(session, "staff")
    amina = make_user(session, "staff", display_name="Amina Diallo")
    gone = make_user(session, "broker", display_name="Left the team")
    gone.disabled_at = datetime.now(UTC)
    session.flush()
    people = {a.user_id: a for a in assignments.assignees(session) if a.user_id is not None}
    assert amina.id in people and gone.id not in people and people[amina.id].value == f"user:{amina.id}"
    data = AssignmentWrite(assignee_user_id=amina.id, status=AssignmentStatus.in_review, version=0)
    row = assignments.set_assignment(session, principal=staff, request_id=request.id, data=data)
    assert (row.assignee_user_id, row.assignee_key_id, row.assignee_name) == (amina.id, None, "Amina Diallo")
    with pytest.raises(InvalidInput, match="not an active"):
        refused = AssignmentWrite(assignee_user_id=gone.id, version=row.version)
        assignments.set_assignment(session, principal=staff, request_id=request.id, data=refused)
    with pytest.raises(ValueError, match="not both"):
        AssignmentWrite(assignee_user_id=amina.id, assignee_key_id=1, version=1)
    session.flush()
    her = Principal(key_id=None, user_id=amina.id, name="Amina Diallo", role=Role.staff)
    listing = ui_workspace.list_requests(
        session, principal=her, status=None, region=None, sector_group=None, q=None, unmet_only=False,
        offset=0, assignee="me",
    )  # fmt: skip
    assert [r.request.id for r in listing.rows] == [request.id]
