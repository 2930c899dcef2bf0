"""Where demand outruns supply: open requests, published offers and unmet requests by sector group x region.

A request is *unmet* when none of its stored, ranked matches with a still-published offer is a good
match: a "strong" or "possible" fit (``broker.matching.fit``, the same definition as the ranked
lists' ``good_match`` and the staff pages' "no good match" flag). Requests that were never ranked
count as unmet: nobody has shown them a
match yet. ``rank_unranked`` ranks them (the same service the request page and the JSON API use), so
the map can be brought up to date in one step.

A record counts once in every sector group its sectors fall in (a request for health and education
is demand in both rows), and in the M49 region of its country: the requesting country for demand,
the offering country for supply.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from broker.models import KnowledgeRequest, Offer, OfferStatus, RequestStatus
from broker.ranking import service as matching
from broker.ranking.engine import MatchEngine
from broker.reference import get_reference
from broker.repositories import workspace as repo
from broker.services.principal import Principal

HEAT_LEVELS = 4
RANK_BATCH = 200
UNKNOWN = "?"


@dataclass
class GapCell:
    demand: int = 0  # open requests
    supply: int = 0  # published offers
    unmet: int = 0  # open requests without a good match
    heat: int = 0  # 0 (no unmet demand) .. HEAT_LEVELS (the most unmet demand of any cell)


@dataclass(frozen=True, slots=True)
class Column:
    code: str
    name: str


@dataclass
class GapRow:
    code: str
    name: str
    cells: dict[str, GapCell]
    total: GapCell


@dataclass
class GapMap:
    columns: list[Column]
    rows: list[GapRow]
    totals: dict[str, GapCell]
    total: GapCell
    never_ranked: int  # open requests with no stored match at all (``rank_unranked`` ranks them)
    unknown_codes: list[str] = field(default_factory=list)


def gap_map(session: Session) -> GapMap:
    """Count demand, supply and unmet demand per (sector group, M49 region), with row and column totals.

    A row total is the sum of its cells (a record has one region); a column total and the grand
    total count each record once, however many sector groups it spans.
    """
    ref = get_reference()
    demand = repo.footprints(session, KnowledgeRequest, status=RequestStatus.open.value)
    supply = repo.footprints(session, Offer, status=OfferStatus.published.value)
    good = repo.good_match_counts(session, request_ids=[d.id for d in demand])
    columns = [Column(r.code, r.name) for r in ref.regions if r.level == "region"]
    cells: dict[tuple[str, str], GapCell] = defaultdict(GapCell)
    totals: dict[str, GapCell] = defaultdict(GapCell)
    grand = GapCell()
    unknown: set[str] = set()

    def place(item: repo.Footprint) -> tuple[str, list[str]]:
        country = ref.country(item.country)
        if country is None:
            unknown.add(item.country)
        groups = set()
        for code in item.sectors:
            sector = ref.sector(code)
            if sector is None:
                unknown.add(code)
            groups.add(sector.group if sector else UNKNOWN)
        return (country.region.code if country else UNKNOWN), sorted(groups)

    for item in demand:
        unmet = not good.get(item.id)
        region, groups = place(item)
        for target in (*(cells[group, region] for group in groups), totals[region], grand):
            target.demand += 1
            target.unmet += unmet
    for item in supply:
        region, groups = place(item)
        for target in (*(cells[group, region] for group in groups), totals[region], grand):
            target.supply += 1

    if UNKNOWN in totals:
        columns.append(Column(UNKNOWN, "Unknown region"))
    top = max((cell.unmet for cell in cells.values()), default=0)
    for cell in cells.values():
        cell.heat = math.ceil(HEAT_LEVELS * cell.unmet / top) if top else 0
    names = {g.code: g.name for g in ref.sector_groups} | {UNKNOWN: "Unknown sector"}
    rows = []
    for group in sorted({group for group, _ in cells}):
        row = {c.code: cells.get((group, c.code), GapCell()) for c in columns}
        total = GapCell(
            demand=sum(c.demand for c in row.values()),
            supply=sum(c.supply for c in row.values()),
            unmet=sum(c.unmet for c in row.values()),
        )
        rows.append(GapRow(code=group, name=names[group], cells=row, total=total))
    return GapMap(
        columns=columns,
        rows=rows,
        totals={c.code: totals.get(c.code, GapCell()) for c in columns},
        total=grand,
        never_ranked=repo.count_unranked(session, status=RequestStatus.open.value),
        unknown_codes=sorted(unknown),
    )


def rank_unranked(session: Session, *, engine: MatchEngine, principal: Principal) -> int:
    """Rank (and store the matches of) open requests never ranked before; at most ``RANK_BATCH`` a call."""
    ids = repo.unranked_request_ids(session, status=RequestStatus.open.value, limit=RANK_BATCH)
    for request_id in ids:
        matching.matches_for_request(
            session, engine=engine, principal=principal, request_id=request_id, limit=10, profile=None
        )
    return len(ids)
