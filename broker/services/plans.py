"""Portfolio plans: rank every chosen request, solve the assignment exactly, store it for review.

Building a plan:

1. each open request (all, or the ones named) is ranked against the published offers with the
   scoring profile, keeping its ``candidates_per_request`` best offers (every institution's) that
   are good matches (strong or possible fits; weak ones too with ``include_weak``);
2. with funding, each (request, offer) pair is checked against the open funding windows
   (``broker.planning.triangles``) and keeps its ``windows_per_pair`` best eligible ones; a line's
   score is then the triple's combined score, and an unfunded line (``optional``) counts the
   window factor's floor, ``pair x (1 - WINDOW_WEIGHT)``, so a window that may pay always helps;
3. an offer can take ``capacity_per_year`` requests less the exchanges it already has this year
   (no capacity stated: no limit); a window can pay what is left of its envelope;
4. ``broker.planning`` solves the 0-1 program exactly (HiGHS): the plan is optimal over these
   candidate lines, or says it stopped at the time limit with its bound, or that the floors cannot
   be met; the greedy baseline (each request in turn takes its own best) is solved beside it;
5. the plan is stored with one line per chosen (request, offer[, window]) and one empty line per
   request left unserved, each with what it gave up; the chosen pairs get a proposed match row when
   they have none, so that a line can be shortlisted like any ranked match.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

import numpy as np
from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from broker.errors import InvalidInput, NotFound
from broker.i18n import DEFAULT_LOCALE, render_reasons
from broker.matching import GOOD_FITS, Weights
from broker.models import (
    Exchange,
    ExchangeStatus,
    FundingWindow,
    Institution,
    KnowledgeRequest,
    Match,
    MatchStatus,
    Offer,
    RequestStatus,
    Role,
)
from broker.models.base import utcnow
from broker.models.plan import FundingMode, PortfolioLine, PortfolioPlan
from broker.planning.plan import make_plan
from broker.planning.problem import NO_WINDOW, Floor, PlanningInputError, PlanningProblem
from broker.planning.triangles import WINDOW_WEIGHT, Pair, score_triple
from broker.planning.whatif import unmet_cells
from broker.ranking.codebook import demand_row
from broker.ranking.engine import Explained, MatchEngine
from broker.ranking.service import match_fields, parties
from broker.reference import get_reference
from broker.repositories import matches as matches_repo
from broker.schemas.match import ReviewCreate
from broker.schemas.plan import (
    CellRead,
    DisplacedRead,
    PlanCreate,
    PlanLineRead,
    PlanRead,
    PlanSummary,
    ShortlistCreate,
)
from broker.schemas.ranking import ReasonDetail
from broker.schemas.triangle import WindowSummary
from broker.services import audit, profiles, reviews
from broker.services.principal import Principal
from broker.services.triangles import Windows, mandate_bounds, pair_of, side_of, window_summaries
from broker.services.writes import flush

PLANNERS = (Role.staff, Role.admin, Role.broker)
# A bound on one plan's work: the (pair, window) rule checks, run in Python (measured: 0.4 µs to
# refuse a window, 20 µs to score an eligible one with its reasons).
MAX_WINDOW_CHECKS = 2_000_000
UNLIMITED_NEW_OFFER = 10_000


@dataclass
class Candidate:
    request_code: int
    offer_id: int
    rank: int
    explained: Explained
    pair: Pair


def build(session: Session, *, engine: MatchEngine, principal: Principal, data: PlanCreate) -> PortfolioPlan:
    """Build, solve and store a plan (see the module docstring)."""
    principal.require(*PLANNERS)
    requests = _requests(session, data.request_ids)
    chosen = profiles.get_profile(session, name=data.profile)
    weights = Weights.from_mapping(profiles.profile_weights(chosen.weights))
    engine.sync(session)
    today = datetime.now(UTC).date()
    now = time.time()
    institutions = {
        i.id: i
        for i in session.scalars(
            select(Institution).where(Institution.id.in_({r.institution_id for r in requests}))
        )
    }
    candidates: list[Candidate] = []
    offer_rows: dict[int, Offer] = {}
    for code, request in enumerate(requests):
        vector = engine.item_vector(session, request)
        ranked = engine.rank_offers(
            demand_row(engine.book, request, institutions[request.institution_id]),
            vector,
            weights=weights,
            limit=data.candidates_per_request,
            per_institution=None,
            now=now,
        )
        missing = [e.match.id for e in ranked if e.match.id not in offer_rows]
        offer_rows |= {o.id: o for o in session.scalars(select(Offer).where(Offer.id.in_(missing)))}
        for rank, e in enumerate(ranked, 1):
            offer = offer_rows.get(e.match.id)
            if offer is None or (e.fit not in GOOD_FITS and not data.include_weak):
                continue
            pair = pair_of(engine, e, request=request, offer=offer, today=today, request_vector=vector)
            candidates.append(Candidate(code, offer.id, rank, e, pair))

    offer_ids = sorted({c.offer_id for c in candidates})
    offer_code = {oid: n for n, oid in enumerate(offer_ids)}
    capacity = remaining_capacity(session, [offer_rows[o] for o in offer_ids], year=today.year)
    windows = Windows.load(session, engine=engine) if data.funding != FundingMode.none else Windows([], {})
    checks = len(candidates) * max(1, len(windows.terms))
    if checks > MAX_WINDOW_CHECKS:
        raise InvalidInput(
            [{"loc": ["body"], "type": "value_error",
              "msg": f"a plan this large checks {checks:,} (pair, window) combinations, more than "
                     f"{MAX_WINDOW_CHECKS:,}: name fewer request_ids or lower candidates_per_request"}]
        )  # fmt: skip
    window_code = {w.id: n for n, w in enumerate(windows.terms)}

    lines: list[tuple[Candidate, int, float, float, list[ReasonDetail]]] = []  # cand, window, score, needed
    bounds = mandate_bounds(engine)
    for cand in candidates:
        if data.funding == FundingMode.none:
            lines.append((cand, NO_WINDOW, cand.pair.score, 0.0, []))
            continue
        triples = [t for w in windows.terms if (t := score_triple(cand.pair, w, **bounds))]
        triples.sort(key=lambda t: (-t.score, t.window.id))
        for t in triples[: data.windows_per_pair]:
            rendered = render_reasons(t.reasons, DEFAULT_LOCALE)
            detail = [ReasonDetail(code=r.code, params=r.params, text=r.text) for r in rendered]
            lines.append((cand, window_code[t.window.id], t.score, t.needed_usd, detail))
        if data.funding == FundingMode.optional:
            lines.append((cand, NO_WINDOW, cand.pair.score * (1.0 - WINDOW_WEIGHT), 0.0, []))

    floors = [_floor(f.region, requests, f.min_share, f.min_served) for f in data.floors]
    try:
        problem = PlanningProblem.create(
            n_requests=len(requests),
            request=[c.request_code for c, *_ in lines],
            offer=[offer_code[c.offer_id] for c, *_ in lines],
            window=[w for _, w, *_ in lines],
            score=[float(np.clip(s, 0.0, 1.0)) for _, _, s, *_ in lines],
            cost_usd=[n for *_, n, _ in lines],
            capacity=[capacity[o] for o in offer_ids],
            envelope_usd=[max(0.0, w.remaining_usd) for w in windows.terms],
            per_request=data.offers_per_request,
            floors=floors,
        )
    except PlanningInputError as exc:  # the service builds the problem: a bad one is our bug
        raise RuntimeError(f"portfolio plan input: {exc}") from exc
    report = make_plan(problem, time_limit_s=data.time_limit_seconds)
    solution = report.solution

    plan = PortfolioPlan(
        name=data.name,
        profile=chosen.name,
        funding=data.funding.value,
        offers_per_request=data.offers_per_request,
        parameters=data.model_dump(mode="json"),
        solver_status=solution.status.value,
        objective=report.objective,
        bound=solution.bound,
        greedy_objective=report.greedy.objective,
        greedy_meets_floors=report.greedy_meets_floors,
        solve_ms=round(solution.solve_s * 1000.0, 2),
        n_requests=len(requests),
        n_candidates=problem.n_lines,
        n_served=len({line.request for line in report.lines}),
        shortfalls=[
            {
                "floor": s.floor,
                "group": s.group,
                "required": s.required,
                "max_servable": s.max_servable,
                "jointly_with": [list(j) for j in s.jointly_with],
            }
            for s in solution.shortfalls
        ],
        unlock=[],
        created_by_name=principal.name,
        created_by_key_id=principal.key_id,
        created_by_user_id=principal.user_id,
    )
    if solution.selection is not None:
        cells = [_cell(r) for r in requests]
        gaps = unmet_cells(
            problem, solution.selection, cells=cells, capacity=data.new_offer_capacity or UNLIMITED_NEW_OFFER
        )
        plan.unlock = [
            {"sector_group": group, "region": region, "unserved": g.unserved, "open": g.open,
             "would_serve": g.would_serve}
            for g in gaps
            for group, region in [cast(tuple[str | None, str | None], g.cell)]
        ]  # fmt: skip
    session.add(plan)
    flush(session, what="plan")

    window_ids = [w.id for w in windows.terms]
    displaced: dict[int, list[dict[str, object]]] = {}
    for d in report.displaced:
        own = d.own_best
        displaced.setdefault(d.request, []).append(
            {
                "offer_id": offer_ids[own.offer],
                "window_id": None if own.window is None else window_ids[own.window],
                "score": round(own.score, 4),
                "reason": d.reason,
                "held_by": [requests[h].id for h in d.held_by],
            }
        )
    served: set[int] = set()
    for line in report.lines:
        cand, _, score, needed, detail = lines[line.line]
        first = line.request not in served
        served.add(line.request)
        match = _proposed_match(session, requests[line.request].id, cand, chosen.name)
        session.add(
            PortfolioLine(
                plan_id=plan.id,
                request_id=requests[line.request].id,
                offer_id=cand.offer_id,
                funding_window_id=None if line.window is None else window_ids[line.window],
                score=round(score, 4),
                pair_score=round(cand.pair.score, 4),
                rank=cand.rank,
                needed_usd=round(needed, 2) if line.window is not None else None,
                cost_usd=round(cand.pair.cost_usd, 2),
                reasons_detail=[d.model_dump() for d in detail],
                displaced=displaced.get(line.request, []) if first else [],
                match_id=match.id,
            )
        )
    for code, request in enumerate(requests):
        if code not in served:
            session.add(
                PortfolioLine(plan_id=plan.id, request_id=request.id, displaced=displaced.get(code, []))
            )
    flush(session, what=f"plan {plan.id}")
    audit.record(
        session, event="plan.built", principal=principal, subject=f"plan {plan.id}",
        detail={"requests": plan.n_requests, "served": plan.n_served, "status": plan.solver_status},
    )  # fmt: skip
    return plan


def remaining_capacity(session: Session, offers: Sequence[Offer], *, year: int) -> dict[int, int | None]:
    """Each offer's capacity this year less its exchanges starting (or, undated, opened) this year that
    are not cancelled; None for an offer without a stated capacity."""
    counted = {o.id: 0 for o in offers}
    if offers:
        day = func.coalesce(Exchange.starts_on, func.date(Exchange.created_at))
        stmt = (
            select(Exchange.offer_id, func.count())
            .where(
                Exchange.offer_id.in_(list(counted)),
                Exchange.status != ExchangeStatus.cancelled,
                extract("year", day) == year,
            )
            .group_by(Exchange.offer_id)
        )
        counted |= {int(o): int(n) for o, n in session.execute(stmt)}
    return {
        o.id: None if o.capacity_per_year is None else max(0, o.capacity_per_year - counted[o.id])
        for o in offers
    }


def get(session: Session, *, principal: Principal, plan_id: int) -> PortfolioPlan:
    principal.require(*PLANNERS)
    plan = session.get(PortfolioPlan, plan_id)
    if plan is None:
        raise NotFound(f"plan {plan_id} not found")
    return plan


def latest(session: Session) -> PortfolioPlan | None:
    """The newest plan that was solved (its what-if cells feed the gap view), or None."""
    stmt = select(PortfolioPlan).where(PortfolioPlan.objective.is_not(None)).order_by(PortfolioPlan.id.desc())
    return session.scalars(stmt.limit(1)).first()


def listing(
    session: Session, *, principal: Principal, limit: int, offset: int
) -> tuple[list[PlanSummary], int]:
    principal.require(*PLANNERS)
    total = session.scalar(select(func.count()).select_from(PortfolioPlan)) or 0
    rows = session.scalars(
        select(PortfolioPlan).order_by(PortfolioPlan.id.desc()).limit(limit).offset(offset)
    )
    return [PlanSummary.model_validate(p, from_attributes=True) for p in rows], int(total)


def shortlist(
    session: Session, *, principal: Principal, plan_id: int, data: ShortlistCreate
) -> PortfolioPlan:
    """Shortlist the chosen lines' matches (a review decision each, as on the match itself); a line
    shortlisted before is left as it is. Every line must be this plan's and name an offer."""
    principal.require(Role.staff, Role.admin)
    plan = get(session, principal=principal, plan_id=plan_id)
    found = {
        line.id: line
        for line in session.scalars(
            select(PortfolioLine).where(PortfolioLine.plan_id == plan.id, PortfolioLine.id.in_(data.line_ids))
        )
    }
    bad = [
        i for i in data.line_ids if i not in found or found[i].offer_id is None or found[i].match_id is None
    ]
    if bad:
        raise InvalidInput(
            [{"loc": ["body", "line_ids"], "type": "value_error",
              "msg": f"not lines of plan {plan.id} with an offer: {', '.join(map(str, bad))}"}]
        )  # fmt: skip
    note = data.note or f"From plan {plan.id} ({plan.name})"
    for line_id in data.line_ids:
        line = found[line_id]
        if line.shortlisted_at is not None:
            continue
        assert line.match_id is not None
        match = session.get(Match, line.match_id)
        if match is not None and match.status == MatchStatus.proposed:
            reviews.review_match(
                session, principal=principal, match_id=line.match_id,
                data=ReviewCreate(status=MatchStatus.shortlisted, note=note),
            )  # fmt: skip
        line.shortlisted_at = utcnow()
    flush(session, what=f"plan {plan.id}")
    return plan


def view(session: Session, plan: PortfolioPlan) -> PlanRead:
    lines = list(
        session.scalars(
            select(PortfolioLine)
            .where(PortfolioLine.plan_id == plan.id)
            .order_by(PortfolioLine.offer_id.is_(None), PortfolioLine.score.desc(), PortfolioLine.id)
        )
    )
    request_ids = {line.request_id for line in lines}
    offer_ids = {line.offer_id for line in lines if line.offer_id is not None}
    window_ids: set[int] = set()
    for line in lines:
        for d in line.displaced or []:
            offer_ids.add(int(d["offer_id"]))
            request_ids.update(int(h) for h in d["held_by"])
            if d.get("window_id") is not None:
                window_ids.add(int(d["window_id"]))
        if line.funding_window_id is not None:
            window_ids.add(line.funding_window_id)
    requests = parties(session, KnowledgeRequest, sorted(request_ids))
    offers = parties(session, Offer, sorted(offer_ids))
    windows = _window_summaries(session, sorted(window_ids))
    read_lines = []
    for line in lines:
        if line.request_id not in requests:
            continue
        displaced = [
            DisplacedRead(
                offer=offers[int(d["offer_id"])],
                window=windows.get(d["window_id"]) if d.get("window_id") is not None else None,
                score=float(d["score"]),
                reason=d["reason"],
                held_by=[requests[int(h)] for h in d["held_by"] if int(h) in requests],
            )
            for d in line.displaced or []
            if int(d["offer_id"]) in offers
        ]
        read_lines.append(
            PlanLineRead(
                id=line.id,
                request=requests[line.request_id],
                offer=offers.get(line.offer_id) if line.offer_id is not None else None,
                window=windows.get(line.funding_window_id) if line.funding_window_id is not None else None,
                score=line.score,
                pair_score=line.pair_score,
                rank=line.rank,
                cost_usd=line.cost_usd,
                needed_usd=line.needed_usd,
                reasons=[ReasonDetail.model_validate(r) for r in line.reasons_detail or []],
                displaced=displaced,
                match_id=line.match_id,
                shortlisted_at=line.shortlisted_at,
            )
        )
    fields = {name: getattr(plan, name) for name in PlanRead.model_fields if name not in ("lines", "unlock")}
    return PlanRead(**fields, unlock=[CellRead(**c) for c in plan.unlock], lines=read_lines)


def _requests(session: Session, ids: list[int] | None) -> list[KnowledgeRequest]:
    stmt = select(KnowledgeRequest).order_by(KnowledgeRequest.id)
    if ids is None:
        found = list(session.scalars(stmt.where(KnowledgeRequest.status == RequestStatus.open)))
        if not found:
            raise InvalidInput(
                [{"loc": ["body"], "msg": "no open request to plan for", "type": "value_error"}]
            )
        return found
    found = list(session.scalars(stmt.where(KnowledgeRequest.id.in_(ids))))
    by_id = {r.id: r for r in found}
    bad = [i for i in ids if i not in by_id or by_id[i].status != RequestStatus.open]
    if bad:
        raise InvalidInput(
            [{"loc": ["body", "request_ids"], "type": "value_error",
              "msg": f"not open requests: {', '.join(map(str, bad))}"}]
        )  # fmt: skip
    return found


def _floor(
    region: str, requests: Sequence[KnowledgeRequest], share: float | None, served: int | None
) -> Floor:
    groups = [region if region in side_of(r.country).regions else None for r in requests]
    return Floor(
        label=f"region {region}", groups=tuple(groups), min_share=share, min_served=served, only=(region,)
    )


def _cell(request: KnowledgeRequest) -> tuple[str | None, str | None]:
    """The gap map's cell of a request: its first sector's group and its country's M49 region."""
    ref = get_reference()
    group = next((g.code for s in request.sectors if (g := ref.sector_group(s))), None)
    country = ref.country(request.country) if request.country else None
    return group, country.region.code if country else None


def _proposed_match(session: Session, request_id: int, cand: Candidate, profile: str) -> Match:
    """The pair's match row; a new proposed one, outside the request's ranked list, when it has none."""
    return matches_repo.ensure_unranked(
        session, request_id=request_id, row=match_fields(cand.explained, profile)
    )


def _window_summaries(session: Session, ids: list[int]) -> dict[int, WindowSummary]:
    rows = list(session.scalars(select(FundingWindow).where(FundingWindow.id.in_(ids)))) if ids else []
    return window_summaries(session, rows)
