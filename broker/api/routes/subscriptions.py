"""Alert subscriptions (webhooks and the daily digest) and their delivery log."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from broker.api.deps import AppSettingsDep, CurrentPrincipal, PagingDep, RowId, SessionDep
from broker.api.pagination import page_of
from broker.api.responses import errors
from broker.models import DeliveryStatus
from broker.schemas.common import Page
from broker.schemas.subscription import (
    DeliveryRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    SubscriptionUpdate,
)
from broker.services import subscriptions as service

router = APIRouter(prefix="/subscriptions", tags=["alerts"])


@router.post("", summary="Subscribe to alerts", status_code=201, responses=errors())
def create_subscription(
    body: SubscriptionCreate, session: SessionDep, principal: CurrentPrincipal, settings: AppSettingsDep
) -> SubscriptionCreated:
    """Subscribe to events; a webhook's signing secret is in this answer only (422 for an unsafe URL)."""
    allow = settings.webhook_allow_private
    return service.create(session, principal=principal, data=body, allow_private=allow)


@router.get("", summary="List subscriptions", responses=errors())
def list_subscriptions(
    request: Request, session: SessionDep, principal: CurrentPrincipal, paging: PagingDep
) -> Page[SubscriptionRead]:
    """The caller's subscriptions (an admin: everyone's), oldest first."""
    rows, total = service.list_own(session, principal=principal, limit=paging.limit, offset=paging.offset)
    items = [SubscriptionRead.model_validate(r) for r in rows]
    return page_of(request, paging, items=items, total=total)


@router.get("/{subscription_id}", summary="Get a subscription", responses=errors(404))
def get_subscription(
    subscription_id: RowId, session: SessionDep, principal: CurrentPrincipal
) -> SubscriptionRead:
    """One of the caller's subscriptions, with its status and failures in a row."""
    row = service.get(session, principal=principal, subscription_id=subscription_id)
    return SubscriptionRead.model_validate(row)


@router.patch("/{subscription_id}", summary="Change a subscription", responses=errors(404, 409))
def update_subscription(
    subscription_id: RowId,
    body: SubscriptionUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
    settings: AppSettingsDep,
) -> SubscriptionRead:
    """Change fields (send the version you read); ``status: active`` re-enables a disabled one."""
    row = service.update(session, principal=principal, subscription_id=subscription_id, data=body,
                         allow_private=settings.webhook_allow_private)  # fmt: skip
    return SubscriptionRead.model_validate(row)


@router.post("/{subscription_id}/secret", summary="Rotate the signing secret", responses=errors(404))
def rotate_secret(
    subscription_id: RowId, session: SessionDep, principal: CurrentPrincipal
) -> SubscriptionCreated:
    """A new signing secret for a webhook subscription, shown in this answer only."""
    return service.rotate_secret(session, principal=principal, subscription_id=subscription_id)


@router.delete("/{subscription_id}", summary="Delete a subscription", status_code=204, responses=errors(404))
def delete_subscription(subscription_id: RowId, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """Delete the subscription with its pending deliveries and its log."""
    service.delete(session, principal=principal, subscription_id=subscription_id)
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries", summary="Delivery log", responses=errors(404))
def list_deliveries(
    request: Request,
    subscription_id: RowId,
    session: SessionDep,
    principal: CurrentPrincipal,
    paging: PagingDep,
    status: DeliveryStatus | None = None,
) -> Page[DeliveryRead]:
    """The subscription's deliveries, newest first, each with every attempt's status code or error."""
    items, total = service.deliveries(
        session, principal=principal, subscription_id=subscription_id,
        status=status.value if status else None, limit=paging.limit, offset=paging.offset,
    )  # fmt: skip
    return page_of(request, paging, items=items, total=total)
