"""Create, read, update and delete institutions."""

from __future__ import annotations

from sqlalchemy.orm import Session

from broker.errors import Conflict, Forbidden
from broker.models import Institution, Role
from broker.repositories import institutions as repo
from broker.repositories.common import get_or_404
from broker.schemas.institution import InstitutionCreate, InstitutionUpdate
from broker.services.principal import Principal
from broker.services.writes import (
    apply_changes,
    check_version,
    flush,
    new_external_id,
)

NULLABLE = {"contact_name", "contact_email", "website", "description"}
# Who an institution is: set by brokers and admins, never by the institution's own key.
IDENTITY = ("name", "country", "kind")


def create_institution(session: Session, *, principal: Principal, data: InstitutionCreate) -> Institution:
    principal.require(Role.admin, Role.broker)
    values = data.model_dump()
    values["external_id"] = values["external_id"] or new_external_id("institution")
    institution = Institution(**values)
    session.add(institution)
    flush(session, what="institution")
    return institution


def get_institution(session: Session, *, institution_id: int) -> Institution:
    return get_or_404(session, Institution, institution_id, what="institution")


def list_institutions(
    session: Session,
    *,
    country: str | None = None,
    kind: str | None = None,
    q: str | None = None,
    limit: int,
    offset: int,
) -> tuple[list[Institution], int]:
    return repo.list_institutions(session, country=country, kind=kind, q=q, limit=limit, offset=offset)


def update_institution(
    session: Session, *, principal: Principal, institution_id: int, data: InstitutionUpdate
) -> Institution:
    institution = get_institution(session, institution_id=institution_id)
    principal.require_write_for(institution.id)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if principal.role == Role.institution and any(name in changes for name in IDENTITY):
        raise Forbidden(
            "an institution key may change its contacts, website, description and languages; "
            "its name, country and kind are changed by a broker or an admin"
        )
    check_version(institution, data.version, what=f"institution {institution_id}")
    apply_changes(institution, changes, nullable=NULLABLE)
    flush(session, what=f"institution {institution_id}")
    return institution


def delete_institution(session: Session, *, principal: Principal, institution_id: int) -> None:
    principal.require(Role.admin, Role.broker)
    institution = get_institution(session, institution_id=institution_id)
    if repo.has_dependents(session, institution.id):
        raise Conflict(
            f"institution {institution_id} still has offers, requests or API keys; archive or move them first"
        )
    session.delete(institution)
    flush(session, what=f"institution {institution_id}")
