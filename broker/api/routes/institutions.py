from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from broker.api.deps import CurrentPrincipal, PagingDep, RowId, SessionDep
from broker.api.pagination import page_of
from broker.api.responses import errors
from broker.models import InstitutionKind
from broker.schemas.codes import CountryCode
from broker.schemas.common import Page
from broker.schemas.institution import InstitutionCreate, InstitutionRead, InstitutionUpdate
from broker.services import institutions as service

router = APIRouter(prefix="/institutions", tags=["institutions"])


@router.post("", summary="Create an institution", status_code=201, responses=errors(403, 409))
def create_institution(
    body: InstitutionCreate, session: SessionDep, principal: CurrentPrincipal
) -> InstitutionRead:
    """Register an institution (admin, broker)."""
    institution = service.create_institution(session, principal=principal, data=body)
    return InstitutionRead.model_validate(institution)


@router.get("", summary="List institutions", responses=errors())
def list_institutions(
    request: Request,
    session: SessionDep,
    _: CurrentPrincipal,
    paging: PagingDep,
    country: Annotated[CountryCode | None, Query()] = None,
    kind: InstitutionKind | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[InstitutionRead]:
    """List institutions, filtered by country, kind or free text."""
    items, total = service.list_institutions(
        session, country=country, kind=kind, q=q, limit=paging.limit, offset=paging.offset
    )
    return page_of(request, paging, items=[InstitutionRead.model_validate(i) for i in items], total=total)


@router.get("/{institution_id}", summary="Get an institution", responses=errors(404))
def get_institution(institution_id: RowId, session: SessionDep, _: CurrentPrincipal) -> InstitutionRead:
    """One institution."""
    return InstitutionRead.model_validate(service.get_institution(session, institution_id=institution_id))


@router.patch("/{institution_id}", summary="Change an institution", responses=errors(403, 404, 409))
def update_institution(
    institution_id: RowId, body: InstitutionUpdate, session: SessionDep, principal: CurrentPrincipal
) -> InstitutionRead:
    """Change an institution; send the version you read."""
    institution = service.update_institution(
        session, principal=principal, institution_id=institution_id, data=body
    )
    return InstitutionRead.model_validate(institution)


@router.delete(
    "/{institution_id}", summary="Delete an institution", status_code=204, responses=errors(403, 404, 409)
)
def delete_institution(institution_id: RowId, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """Delete an institution that has no offers, requests or keys left (admin, broker)."""
    service.delete_institution(session, principal=principal, institution_id=institution_id)
    return Response(status_code=204)
