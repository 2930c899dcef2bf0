"""Queries for alert subscriptions and their deliveries; who may see a subscription lives here."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.models import Delivery, DeliveryAttempt, Role, Subscription


def readable_statement(principal: Principal) -> Select[Subscription]:
    """An admin sees every subscription; anyone else those it holds (its account, or its API key)."""
    stmt = select(Subscription).order_by(Subscription.id)
    if principal.role == Role.admin:
        return stmt
    if principal.user_id is not None:
        return stmt.where(Subscription.owner_user_id == principal.user_id)
    return stmt.where(Subscription.owner_key_id == principal.key_id, Subscription.owner_user_id.is_(None))


def get_readable(
    session: Session, *, principal: Principal, subscription_id: int, lock: bool = False
) -> Subscription | None:
    stmt = readable_statement(principal).where(Subscription.id == subscription_id)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def deliveries_statement(subscription_id: int, *, status: str | None) -> Select[Delivery]:
    stmt = select(Delivery).where(Delivery.subscription_id == subscription_id).order_by(Delivery.id.desc())
    return stmt.where(Delivery.status == status) if status else stmt


def attempts_of(session: Session, delivery_ids: list[int]) -> dict[int, list[DeliveryAttempt]]:
    found: dict[int, list[DeliveryAttempt]] = {i: [] for i in delivery_ids}
    if delivery_ids:
        stmt = select(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(delivery_ids))
        for attempt in session.scalars(stmt.order_by(DeliveryAttempt.id)):
            found[attempt.delivery_id].append(attempt)
    return found
