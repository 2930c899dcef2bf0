"""Who may read an import job: its own caller (a key or a person) and admins, nobody else."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.errors import NotFound
from broker.models import Role
from broker.services.bulk import formats, jobs
from tests.factories import make_caller, make_user

CSV = "external_id,name,country,kind,languages\ninst-x,Agency X,Ghana,government,en\n"


def _person(session: Session, role: str) -> Principal:
    user = make_user(session, role)
    return Principal(key_id=None, user_id=user.id, name=user.display_name, role=Role(role))


def _submit(session: Session, principal: Principal) -> int:
    job = jobs.submit_job(
        session, principal=principal, fmt=formats.Format("csv"), kind="institutions", partial=False,
        body_bytes=len(CSV), text=CSV,
    )  # fmt: skip
    return job.id


def test_a_persons_job_is_theirs_alone_and_an_admins_to_read(session: Session) -> None:
    amina, bruno = _person(session, "broker"), _person(session, "broker")
    key = make_caller(session, "broker")
    by_key = Principal(key_id=key.key_id, name="broker key", role=Role.broker)
    job_id = _submit(session, amina)
    assert jobs.get_job(session, principal=amina, job_id=job_id).id == job_id
    for stranger in (bruno, by_key):
        with pytest.raises(NotFound):
            jobs.get_job(session, principal=stranger, job_id=job_id)
    assert jobs.get_job(session, principal=_person(session, "admin"), job_id=job_id).id == job_id
    keyed = _submit(session, by_key)
    with pytest.raises(NotFound):
        jobs.get_job(session, principal=amina, job_id=keyed)
