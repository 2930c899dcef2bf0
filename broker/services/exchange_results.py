"""The results view: exchanges by status, outcomes reached by sector group and M49 region, and each
provider's record.

An exchange's outcomes are those either side reported (each counted once per exchange). It counts in
every sector group its request's and offer's sectors fall in, and in the region of each of its two
countries (once when both are in the same region). A provider's ratings are the means of the
receivers' (requester-side) reports.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from broker.auth import Principal
from broker.models import Exchange, ExchangeSide, ExchangeStatus, Institution, KnowledgeRequest, Offer
from broker.reference import get_reference
from broker.repositories import exchanges as repo
from broker.schemas.exchange import OutcomeCount, OutcomeTally, ProviderRecord, ResultsView
from broker.services.ui_sessions import WORKSPACE_ROLES

UNKNOWN = "?"
T = TypeVar("T", KnowledgeRequest, Offer, Institution)


def results_view(session: Session, *, principal: Principal) -> ResultsView:
    """The results of every exchange (staff, brokers, admins)."""
    principal.require(*WORKSPACE_ROLES)
    ref = get_reference()
    exchanges = list(session.scalars(repo.readable_statement(principal)))
    by_status = {s.value: 0 for s in ExchangeStatus} | Counter(e.status for e in exchanges)
    reported = [e for e in exchanges if e.status == ExchangeStatus.completed and e.reports]
    requests = _by_id(session, KnowledgeRequest, [e.request_id for e in reported])
    offers = _by_id(session, Offer, [e.offer_id for e in reported])
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    group_n: Counter[str] = Counter()
    regions: dict[str, Counter[str]] = defaultdict(Counter)
    region_n: Counter[str] = Counter()
    for e in reported:
        reached = _reached(e)
        sectors = [*requests[e.request_id].sectors, *offers[e.offer_id].sectors]
        for key in {g.code for s in sectors if (g := ref.sector_group(s))} or {UNKNOWN}:
            groups[key].update(reached)
            group_n[key] += 1
        countries = (requests[e.request_id].country, offers[e.offer_id].country)
        for key in {c.region.code if (c := ref.country(code)) else UNKNOWN for code in countries}:
            regions[key].update(reached)
            region_n[key] += 1
    group_names = {g.code: g.name for g in ref.sector_groups}
    region_names = {r.code: r.name for r in ref.regions}
    return ResultsView(
        by_status=dict(by_status),
        by_sector_group=[_tally(k, group_names.get(k, k), group_n[k], groups[k]) for k in sorted(groups)],
        by_region=[_tally(k, region_names.get(k, k), region_n[k], regions[k]) for k in sorted(regions)],
        providers=provider_records(session, exchanges=exchanges),
    )


def provider_records(session: Session, *, exchanges: list[Exchange]) -> list[ProviderRecord]:
    """Per provider institution of ``exchanges``: completed exchanges, reports, receivers' mean ratings."""
    per: dict[int, list[Exchange]] = defaultdict(list)
    for e in exchanges:
        per[e.provider_institution_id].append(e)
    institutions = _by_id(session, Institution, list(per))
    records = []
    for inst_id, own in per.items():
        done = [e for e in own if e.status == ExchangeStatus.completed]
        reports = [r for e in done for r in e.reports]
        received = [r for r in reports if r.side == ExchangeSide.requester]
        reached: Counter[str] = Counter()
        for e in done:
            reached.update(_reached(e))
        records.append(
            ProviderRecord(
                institution_id=inst_id,
                name=institutions[inst_id].name,
                country=institutions[inst_id].country,
                completed=len(done),
                reports=len(reports),
                receiver_reports=len(received),
                mean_relevance=_mean([r.relevance for r in received]),
                mean_usefulness=_mean([r.usefulness for r in received]),
                outcomes=_counts(reached),
            )
        )
    return sorted(records, key=lambda r: (-r.completed, r.name))


def _reached(exchange: Exchange) -> set[str]:
    return {code for r in exchange.reports for code in r.outcomes}


def _tally(code: str, name: str, n: int, reached: Counter[str]) -> OutcomeTally:
    return OutcomeTally(code=code, name=name, exchanges=n, outcomes=_counts(reached))


def _counts(reached: Counter[str]) -> list[OutcomeCount]:
    return [OutcomeCount(code=c, count=n) for c, n in sorted(reached.items(), key=lambda t: (-t[1], t[0]))]


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _by_id(session: Session, model: type[T], ids: list[int]) -> dict[int, T]:
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(set(ids))))}


EXPORT_COLUMNS = [
    "id", "status", "match_id", "request_id", "request", "offer_id", "offer", "requester", "provider",
    "modalities", "starts_on", "ends_on", "participants", "budget_amount", "budget_currency",
    "budget_source", "funding_window_id", "requester_contact", "provider_contact", "completed_at",
    "requester_relevance", "requester_usefulness", "provider_relevance", "provider_usefulness", "outcomes",
]  # fmt: skip


def exchanges_csv(session: Session, *, principal: Principal) -> str:
    """The exchanges ``principal`` may read as UTF-8 CSV with a byte-order mark, formula-safe cells."""
    from broker.services.bulk.formats import Format, dump

    rows = list(session.scalars(repo.readable_statement(principal)))
    requests = _by_id(session, KnowledgeRequest, [e.request_id for e in rows])
    offers = _by_id(session, Offer, [e.offer_id for e in rows])
    ids = [i for e in rows for i in (e.requester_institution_id, e.provider_institution_id)]
    institutions = _by_id(session, Institution, ids)
    records = []
    for e in rows:
        report = {r.side: r for r in e.reports}
        req, prov = report.get("requester"), report.get("provider")
        records.append(
            {
                "id": e.id, "status": e.status, "match_id": e.match_id, "request_id": e.request_id,
                "request": requests[e.request_id].title, "offer_id": e.offer_id,
                "offer": offers[e.offer_id].title,
                "requester": institutions[e.requester_institution_id].name,
                "provider": institutions[e.provider_institution_id].name,
                "modalities": e.modalities, "starts_on": e.starts_on, "ends_on": e.ends_on,
                "participants": e.participants, "budget_amount": e.budget_amount,
                "budget_currency": e.budget_currency, "budget_source": e.budget_source,
                "funding_window_id": e.funding_window_id,
                "requester_contact": e.requester_contact, "provider_contact": e.provider_contact,
                "completed_at": e.completed_at.isoformat() if e.completed_at else None,
                "requester_relevance": req.relevance if req else None,
                "requester_usefulness": req.usefulness if req else None,
                "provider_relevance": prov.relevance if prov else None,
                "provider_usefulness": prov.usefulness if prov else None,
                "outcomes": sorted(_reached(e)),
            }
        )  # fmt: skip
    return "\ufeff" + dump(records, Format.csv, EXPORT_COLUMNS)
