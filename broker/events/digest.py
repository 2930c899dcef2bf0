"""The daily digest: a subscription's alerts of a period as plain text or HTML, ready to mail.

It lists what the subscription was told (its deliveries, webhook or digest) between two instants,
grouped as new matches, review decisions and exchange moves, newest last.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.models import Delivery, EventType, Subscription

SECTIONS = (
    (EventType.match_new.value, "New strong matches"),
    (EventType.match_reviewed.value, "Review decisions"),
    (EventType.exchange_status.value, "Exchange status changes"),
)


def entries(session: Session, *, subscription_id: int, since: datetime, until: datetime) -> list[Delivery]:
    stmt = (
        select(Delivery)
        .where(
            Delivery.subscription_id == subscription_id,
            Delivery.created_at >= since,
            Delivery.created_at < until,
        )
        .order_by(Delivery.id)
    )
    return list(session.scalars(stmt))


def lines_of(delivery: Delivery) -> list[str]:
    """One alert as lines of plain text (the first is its headline)."""
    data: dict[str, Any] = delivery.body.get("data", {})
    if delivery.type == EventType.match_new:
        new = data["new"]
        head = f"New {new['kind']} \u201c{new['title']}\u201d ({new['institution']}, {new['country']})"
        rest = [
            f"  strong fit for your {m['record']['kind']} \u201c{m['record']['title']}\u201d "
            f"(score {m['score']:.2f}, rank {m['rank']})"
            for m in data["matches"]
        ]
        return [head, *rest, f"  {new['url']}"]
    request, offer = data["request"], data["offer"]
    pair = f"\u201c{request['title']}\u201d \u2190 \u201c{offer['title']}\u201d ({offer['institution']})"
    if delivery.type == EventType.match_reviewed:
        review = data["review"]
        note = review.get("note_for_institutions")
        return [
            f"Match {data['match']['id']} {review['status']}: {pair}",
            *([f"  Note: {note}"] if note else []),
        ]
    exchange = data["exchange"]
    moved = (
        f"{exchange['from_status']} \u2192 {exchange['to_status']}" if exchange["from_status"] else "opened"
    )
    note = exchange.get("note")
    return [
        f"Exchange {exchange['id']} {moved}: {pair}",
        *([f"  Note: {note}"] if note else []),
        f"  {exchange['url']}",
    ]


def render(
    session: Session, *, subscription: Subscription, since: datetime, until: datetime, fmt: str = "text"
) -> str:
    """The digest of ``subscription`` for [since, until) as ``text`` or ``html``."""
    found = entries(session, subscription_id=subscription.id, since=since, until=until)
    period = f"{since:%Y-%m-%d %H:%M} \u2013 {until:%Y-%m-%d %H:%M} UTC"
    grouped = [(title, [d for d in found if d.type == kind]) for kind, title in SECTIONS]
    if fmt == "html":
        return _html(subscription, period, grouped)
    out = [f"knowledge-broker digest: {subscription.name}", period, ""]
    if not found:
        out.append("Nothing new in this period.")
    for title, items in grouped:
        if items:
            out += [f"{title} ({len(items)})", "-" * (len(title) + 4 + len(str(len(items))))]
            for d in items:
                out += lines_of(d)
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def _html(subscription: Subscription, period: str, grouped: list[tuple[str, list[Delivery]]]) -> str:
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>knowledge-broker digest: {escape(subscription.name)}</title></head><body>",
        f"<h1>{escape(subscription.name)}</h1>",
        f"<p>{escape(period)}</p>",
    ]
    if not any(items for _, items in grouped):
        parts.append("<p>Nothing new in this period.</p>")
    for title, items in grouped:
        if not items:
            continue
        parts.append(f"<h2>{escape(title)} ({len(items)})</h2><ul>")
        for d in items:
            head, *rest = lines_of(d)
            detail = "".join(f"<br>{_linked(line.strip())}" for line in rest)
            parts.append(f"<li>{escape(head)}{detail}</li>")
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _linked(text: str) -> str:
    if text.startswith(("http://", "https://")) and " " not in text:
        return f'<a href="{escape(text, quote=True)}">{escape(text)}</a>'
    return escape(text)
