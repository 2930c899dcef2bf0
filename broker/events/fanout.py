"""Fan-out: which subscriptions an event concerns, and the body each one is sent.

- ``match.reviewed`` and ``exchange.status`` concern the two institutions of the match or exchange
  (their subscriptions whose filter passes their own record) and every staff, admin or broker
  subscription whose filter passes the request or the offer.
- ``record.published`` is ranked against the other side (``ranking.service.strong_counterparts``):
  each record it is a strong fit for ("above possible") is a watched record of its institution's
  subscriptions and of the staff subscriptions whose filter passes it or the new record; each
  concerned subscription gets one ``match.new`` listing its pairs.

A subscription that is disabled gets nothing. Institutions are told only of records they may read
(published offers and open requests, their own) and never the broker team's internal notes.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Event,
    EventType,
    Exchange,
    Institution,
    KnowledgeRequest,
    Match,
    Offer,
    Role,
    Subscription,
    SubscriptionStatus,
)
from broker.models.base import utcnow
from broker.ranking.engine import MatchEngine
from broker.ranking.service import strong_counterparts
from broker.reference import get_reference

Record = KnowledgeRequest | Offer


@dataclass(frozen=True)
class Concern:
    subscription_id: int
    channel: str
    data: dict[str, Any]

    @classmethod
    def of(cls, sub: Subscription, data: dict[str, Any]) -> Concern:
        return cls(sub.id, sub.channel, data)


class NeedsEngine(RuntimeError):
    """A ``record.published`` event can be fanned out only where the match engine runs."""


def plan(session: Session, event: Event, *, engine: MatchEngine | None, base_url: str) -> list[Concern]:
    """Whom the event concerns and what each is told (reads only: a read transaction is enough)."""
    return _concerns(session, event, engine=engine, base_url=base_url)


def write(session: Session, event: Event, concerns: list[Concern]) -> int:
    """Create the planned deliveries and mark the event fanned out (in the caller's transaction)."""
    now = utcnow()
    kind = EventType.match_new if event.type == EventType.record_published else EventType(event.type)
    for concern in concerns:
        key = "dlv_" + uuid.uuid4().hex
        body = {
            "id": key,
            "type": kind.value,
            "created_at": event.created_at.isoformat(),
            "event_id": event.id,
            "subscription_id": concern.subscription_id,
            "data": concern.data,
        }
        webhook = concern.channel == Channel.webhook
        session.add(
            Delivery(
                key=key,
                event_id=event.id,
                subscription_id=concern.subscription_id,
                type=kind.value,
                body=body,
                status=DeliveryStatus.pending.value if webhook else DeliveryStatus.digest.value,
                next_attempt_at=now if webhook else None,
            )
        )
    event.fanned_out_at = now
    event.lease_until = None
    event.fan_out_error = None
    session.flush()
    return len(concerns)


def _concerns(session: Session, event: Event, *, engine: MatchEngine | None, base_url: str) -> list[Concern]:
    if event.type == EventType.record_published:
        if engine is None:
            raise NeedsEngine("record.published needs the match engine")
        return _published(session, event, engine=engine, base_url=base_url)
    subs = _subscriptions(session, EventType(event.type), since=event)
    if not subs:
        return []
    if event.type == EventType.match_reviewed:
        match = session.get(Match, event.data["match_id"])
        if match is None:
            return []
        pair = _pair(session, match.request_id, match.offer_id)
        data = {
            "match": {
                "id": match.id,
                "status": event.data["status"],
                "score": round(match.score, 4),
                "fit": match.fit,
            },
            "review": {
                "id": event.data["review_id"],
                "status": event.data["status"],
                "note_for_institutions": event.data.get("note_for_institutions"),
            },
        }
    else:
        exchange = session.get(Exchange, event.data["exchange_id"])
        if exchange is None:
            return []
        pair = _pair(session, exchange.request_id, exchange.offer_id)
        data = {
            "exchange": {
                "id": exchange.id,
                "from_status": event.data["from_status"],
                "to_status": event.data["to_status"],
                "note": event.data.get("note"),
                "url": f"{base_url}/api/v1/exchanges/{exchange.id}",
            },
        }
    if pair is None:
        return []
    request, offer = pair
    data |= {"request": _summary(session, request, base_url), "offer": _summary(session, offer, base_url)}
    concerned = []
    for sub in subs:
        if sub.owner_role == Role.institution:
            own = [r for r in (request, offer) if r.institution_id == sub.owner_institution_id]
            if own and passes(sub, own[0]):
                concerned.append(Concern.of(sub, data))
        elif passes(sub, request) or passes(sub, offer):
            concerned.append(Concern.of(sub, data))
    return concerned


def _published(session: Session, event: Event, *, engine: MatchEngine, base_url: str) -> list[Concern]:
    subs = _subscriptions(session, EventType.match_new, since=event)
    if not subs:
        return []
    kind = event.data["kind"]
    new: Any = session.get(Offer if kind == "offer" else KnowledgeRequest, event.data["id"])
    if new is None:
        return []
    pairs = strong_counterparts(session, engine=engine, kind=kind, record_id=new.id)
    if not pairs:
        return []
    other: Any = KnowledgeRequest if kind == "offer" else Offer
    counterparts = {
        r.id: r for r in session.scalars(select(other).where(other.id.in_([p[0] for p in pairs])))
    }
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    by_id = {s.id: s for s in subs}
    for counterpart_id, score, rank in pairs:
        watched = counterparts.get(counterpart_id)
        if watched is None:
            continue
        entry = {
            "record": _summary(session, watched, base_url),
            "score": round(score, 4),
            "fit": "strong",
            "rank": rank,
        }
        for sub in subs:
            if sub.owner_role == Role.institution:
                ok = sub.owner_institution_id == watched.institution_id and passes(sub, watched)
            else:
                ok = passes(sub, watched) or passes(sub, new)
            if ok:
                found[sub.id].append(entry)
    summary = _summary(session, new, base_url)
    return [Concern.of(by_id[sid], {"new": summary, "matches": entries}) for sid, entries in found.items()]


def passes(sub: Subscription, record: Record) -> bool:
    """Whether ``record`` falls in the subscription's filter (sector groups, regions, languages)."""
    ref = get_reference()
    if sub.sector_groups:
        groups = {g.code for s in record.sectors if (g := ref.sector_group(s))}
        if not groups & set(sub.sector_groups):
            return False
    if sub.regions:
        country = ref.country(record.country)
        levels = (country.region, country.sub_region, country.intermediate_region) if country else ()
        if not {r.code for r in levels if r is not None} & set(sub.regions):
            return False
    if sub.languages:
        spoken = {*record.languages, *([record.text_language] if record.text_language else [])}
        if not spoken & set(sub.languages):
            return False
    return True


def _subscriptions(session: Session, kind: EventType, *, since: Event) -> list[Subscription]:
    """Active subscriptions to ``kind`` that existed when the event happened (none hears the past)."""
    active = session.scalars(
        select(Subscription)
        .where(Subscription.status == SubscriptionStatus.active, Subscription.created_at <= since.created_at)
        .order_by(Subscription.id)
    )
    return [s for s in active if kind.value in s.events]


def _pair(session: Session, request_id: int, offer_id: int) -> tuple[KnowledgeRequest, Offer] | None:
    request = session.get(KnowledgeRequest, request_id)
    offer = session.get(Offer, offer_id)
    return (request, offer) if request is not None and offer is not None else None


def _summary(session: Session, record: Record, base_url: str) -> dict[str, Any]:
    institution = session.get(Institution, record.institution_id)
    plural = "offers" if isinstance(record, Offer) else "requests"
    return {
        "id": record.id,
        "kind": "offer" if isinstance(record, Offer) else "request",
        "title": record.title,
        "country": record.country,
        "institution_id": record.institution_id,
        "institution": institution.name if institution else None,
        "url": f"{base_url}/api/v1/{plural}/{record.id}",
    }
