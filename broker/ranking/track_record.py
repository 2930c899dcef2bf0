"""Providers' track records read from the exchanges: the table the track-record factor looks up.

A completed exchange counts for its provider in every sector group of its offer (and once in the
provider's totals); the receiver's report (side ``requester``) adds a rating, the mean of its
relevance and usefulness (1-5), and an outcome reached when it names any. Cancelled and unfinished
exchanges, and the provider's own reports, do not count.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from broker.matching import STATS, TrackRecordTable
from broker.models import Exchange, ExchangeReport, ExchangeSide, ExchangeStatus, Offer
from broker.ranking.codebook import Codebook


def exchanges_signature(session: Session) -> tuple[object, ...]:
    """A cheap fingerprint of the exchanges and reports: it changes with every insert, edit or delete."""
    parts: list[object] = []
    for model in (Exchange, ExchangeReport):
        parts.extend(
            session.execute(select(func.count(model.id), func.max(model.id), func.sum(model.version))).one()
        )
    return tuple(parts)


def load_track_records(session: Session, book: Codebook) -> TrackRecordTable:
    """The providers' records by sector group (``TrackRecordTable``), from the completed exchanges."""
    n_groups = len(book.codes.groups)
    group_of = book.tables.sectors.group_of
    stmt = (
        select(
            Exchange.provider_institution_id,
            Offer.sectors,
            ExchangeReport.relevance,
            ExchangeReport.usefulness,
            ExchangeReport.outcomes,
        )
        .join(Offer, Offer.id == Exchange.offer_id)
        .outerjoin(
            ExchangeReport,
            (ExchangeReport.exchange_id == Exchange.id)
            & (ExchangeReport.side == ExchangeSide.requester.value),
        )
        .where(Exchange.status == ExchangeStatus.completed.value)
    )
    stats: dict[int, np.ndarray] = defaultdict(lambda: np.zeros((n_groups + 1, len(STATS))))
    for provider, sectors, relevance, usefulness, outcomes in session.execute(stmt):
        row = np.zeros(len(STATS))
        row[0] = 1.0
        if relevance is not None and usefulness is not None:
            row[1:] = 1.0, (relevance + usefulness) / 2, float(bool(outcomes))
        groups = {int(group_of[i]) for i in book.sectors(sectors or [])} - {-1}
        table = stats[int(provider)]
        for group in groups:
            table[group] += row
        table[n_groups] += row
    ids = sorted(stats)
    if not ids:
        return TrackRecordTable()
    return TrackRecordTable(np.array(ids, dtype=np.int64), np.stack([stats[i] for i in ids]))
