"""Routers for offers and requests, built by one factory because their endpoints are the same.

No ``from __future__ import annotations`` here: FastAPI must see the real classes the factory
closes over.
"""

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from broker.api.deps import CurrentPrincipal, EngineDep, PagingDep, RowId, SessionDep
from broker.api.pagination import page_of
from broker.api.responses import errors
from broker.models import KnowledgeRequest, Offer, OfferStatus, RequestStatus
from broker.repositories.knowledge import KnowledgeFilters
from broker.schemas.codes import CountryCode
from broker.schemas.common import MAX_ID, Page
from broker.schemas.knowledge import (
    OfferCreate,
    OfferRead,
    OfferUpdate,
    RequestCreate,
    RequestRead,
    RequestUpdate,
)
from broker.services import knowledge as service


def knowledge_router(
    model: Any,
    create: type[BaseModel],
    update: type[BaseModel],
    read: type[BaseModel],
    status: type[StrEnum],
    *,
    noun: str,
    plural: str,
) -> APIRouter:
    router = APIRouter(prefix=f"/{plural}", tags=[plural])

    @router.post("", status_code=201, responses=errors(403, 409), summary=f"Create {noun}")
    def create_item(
        body: create,  # type: ignore[valid-type]
        session: SessionDep,
        principal: CurrentPrincipal,
        engine: EngineDep,
    ) -> read:  # type: ignore[valid-type]
        item = service.create_item(session, model, principal=principal, data=body, encoder=engine.encoder)
        return read.model_validate(item)

    @router.get("", responses=errors(), summary=f"List {plural}")
    def list_items(
        request: Request,
        session: SessionDep,
        principal: CurrentPrincipal,
        paging: PagingDep,
        country: Annotated[CountryCode | None, Query()] = None,
        sector: Annotated[str | None, Query(max_length=5, description="DAC 5-digit code")] = None,
        modality: Annotated[str | None, Query(max_length=40)] = None,
        status: Annotated[status | None, Query()] = None,  # type: ignore[valid-type]
        institution_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        q: Annotated[str | None, Query(max_length=200, description="Words in title or description")] = None,
    ) -> Page[read]:  # type: ignore[valid-type]
        filters = KnowledgeFilters(
            country=country,
            sector=sector,
            modality=modality,
            status=str(status) if status else None,
            institution_id=institution_id,
            q=q,
        )
        items, total = service.list_items(
            session, model, principal=principal, filters=filters, limit=paging.limit, offset=paging.offset
        )
        return page_of(request, paging, items=[read.model_validate(i) for i in items], total=total)

    @router.get("/{item_id}", responses=errors(404), summary=f"Get {noun}")
    def get_item(item_id: RowId, session: SessionDep, principal: CurrentPrincipal) -> read:  # type: ignore[valid-type]
        return read.model_validate(service.get_item(session, model, principal=principal, item_id=item_id))

    @router.patch("/{item_id}", responses=errors(403, 404, 409), summary=f"Change {noun}")
    def update_item(
        item_id: RowId,
        body: update,  # type: ignore[valid-type]
        session: SessionDep,
        principal: CurrentPrincipal,
        engine: EngineDep,
    ) -> read:  # type: ignore[valid-type]
        item = service.update_item(
            session, model, principal=principal, item_id=item_id, data=body, encoder=engine.encoder
        )
        return read.model_validate(item)

    @router.delete("/{item_id}", status_code=204, responses=errors(403, 404, 409), summary=f"Delete {noun}")
    def delete_item(item_id: RowId, session: SessionDep, principal: CurrentPrincipal) -> Response:
        service.delete_item(session, model, principal=principal, item_id=item_id)
        return Response(status_code=204)

    return router


offers_router = knowledge_router(
    Offer, OfferCreate, OfferUpdate, OfferRead, OfferStatus, noun="an offer", plural="offers"
)
requests_router = knowledge_router(
    KnowledgeRequest,
    RequestCreate,
    RequestUpdate,
    RequestRead,
    RequestStatus,
    noun="a request",
    plural="requests",
)
