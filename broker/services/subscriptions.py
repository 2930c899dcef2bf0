"""Alert subscriptions: who holds them, what they watch, and their delivery log.

Anyone signed in (a person or an API key) may subscribe; the subscription holds its owner's role
and institution, which decide what it is told (``broker.events.fanout``). An owner sees and changes
its own subscriptions; admins see every one. A webhook URL is checked against SSRF when saved (and
again before each delivery). The signing secret is returned once, at creation or rotation.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.errors import InvalidInput, NotFound
from broker.events import signing, ssrf
from broker.models import Channel, Delivery, DeliveryAttempt, Role, Subscription, SubscriptionStatus
from broker.repositories import subscriptions as repo
from broker.repositories.common import fetch_page
from broker.schemas.subscription import (
    AttemptRead,
    DeliveryRead,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    SubscriptionUpdate,
)
from broker.services import audit
from broker.services.writes import check_version, flush


def create(
    session: Session, *, principal: Principal, data: SubscriptionCreate, allow_private: bool
) -> SubscriptionCreated:
    if data.url is not None:
        _check_target(data.url, allow_private=allow_private)
    secret = signing.new_secret() if data.channel == Channel.webhook else None
    row = Subscription(
        name=data.name,
        events=list(data.events),
        channel=data.channel.value,
        url=data.url,
        secret=secret,
        sector_groups=list(data.sector_groups),
        regions=list(data.regions),
        languages=list(data.languages),
        status=SubscriptionStatus.active.value,
        consecutive_failures=0,
        owner_role=principal.role.value,
        owner_institution_id=principal.institution_id if principal.role == Role.institution else None,
        owner_user_id=principal.user_id,
        owner_key_id=principal.key_id if principal.user_id is None else None,
        owner_name=principal.name,
    )
    session.add(row)
    flush(session, what="the subscription")
    audit.record(
        session,
        event="subscription.created",
        principal=principal,
        subject=f"subscription {row.id}",
        detail={"events": row.events, "channel": row.channel},
    )
    return _with_secret(row, secret)


def get(session: Session, *, principal: Principal, subscription_id: int, lock: bool = False) -> Subscription:
    row = repo.get_readable(session, principal=principal, subscription_id=subscription_id, lock=lock)
    if row is None:
        raise NotFound(f"subscription {subscription_id} not found")
    return row


def list_own(
    session: Session, *, principal: Principal, limit: int, offset: int
) -> tuple[list[Subscription], int]:
    return fetch_page(session, repo.readable_statement(principal), limit=limit, offset=offset)


def update(
    session: Session,
    *,
    principal: Principal,
    subscription_id: int,
    data: SubscriptionUpdate,
    allow_private: bool,
) -> Subscription:
    row = get(session, principal=principal, subscription_id=subscription_id, lock=True)
    check_version(row, data.version, what=f"subscription {subscription_id}")
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    for field in ("name", "events", "sector_groups", "regions", "languages", "status"):
        if field in changes and changes[field] is None:
            raise InvalidInput([{"loc": ["body", field], "msg": f"{field} cannot be null", "type": "null"}])
    if "url" in changes:
        if row.channel != Channel.webhook or changes["url"] is None:
            raise InvalidInput(
                [
                    {
                        "loc": ["body", "url"],
                        "msg": "only a webhook has a url, and it needs one",
                        "type": "value_error",
                    }
                ]
            )
        _check_target(changes["url"], allow_private=allow_private)
    for field, value in changes.items():
        setattr(row, field, value.value if field == "status" else value)
    if changes.get("status") == SubscriptionStatus.active:
        row.consecutive_failures = 0
        row.disabled_reason = None
    elif changes.get("status") == SubscriptionStatus.disabled:
        row.disabled_reason = f"disabled by {principal.name}"
    flush(session, what=f"subscription {subscription_id}")
    audit.record(
        session,
        event="subscription.updated",
        principal=principal,
        subject=f"subscription {subscription_id}",
        detail={"fields": sorted(changes)},
    )
    return row


def rotate_secret(session: Session, *, principal: Principal, subscription_id: int) -> SubscriptionCreated:
    row = get(session, principal=principal, subscription_id=subscription_id, lock=True)
    if row.channel != Channel.webhook:
        raise InvalidInput("a digest subscription has no signing secret")
    row.secret = signing.new_secret()
    flush(session, what=f"subscription {subscription_id}")
    audit.record(
        session,
        event="subscription.secret_rotated",
        principal=principal,
        subject=f"subscription {subscription_id}",
        detail={},
    )
    return _with_secret(row, row.secret)


def delete(session: Session, *, principal: Principal, subscription_id: int) -> None:
    row = get(session, principal=principal, subscription_id=subscription_id, lock=True)
    session.delete(row)
    flush(session, what=f"subscription {subscription_id}")
    audit.record(
        session,
        event="subscription.deleted",
        principal=principal,
        subject=f"subscription {subscription_id}",
        detail={},
    )


def deliveries(
    session: Session,
    *,
    principal: Principal,
    subscription_id: int,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[DeliveryRead], int]:
    """The subscription's deliveries, newest first, each with its attempts (the delivery log)."""
    get(session, principal=principal, subscription_id=subscription_id)
    rows, total = fetch_page(
        session, repo.deliveries_statement(subscription_id, status=status), limit=limit, offset=offset
    )
    attempts = repo.attempts_of(session, [d.id for d in rows])
    return [_delivery_view(d, attempts[d.id]) for d in rows], total


def _delivery_view(row: Delivery, attempts: list[DeliveryAttempt]) -> DeliveryRead:
    view = DeliveryRead.model_validate(row)
    view.log = [AttemptRead.model_validate(a) for a in attempts]
    return view


def _with_secret(row: Subscription, secret: str | None) -> SubscriptionCreated:
    """The subscription as read, plus its signing secret (shown at creation and rotation only)."""
    return SubscriptionCreated(**SubscriptionRead.model_validate(row).model_dump(), secret=secret)


def _check_target(url: str, *, allow_private: bool) -> None:
    try:
        ssrf.resolve(url, allow_private=allow_private)
    except ssrf.UnsafeTarget as exc:
        raise InvalidInput([{"loc": ["body", "url"], "msg": str(exc), "type": "unsafe_target"}]) from None
