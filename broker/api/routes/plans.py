"""Portfolio plans: an exact assignment of offers (and funding windows) to many requests at once."""

from __future__ import annotations

from fastapi import APIRouter, Request

from broker.api.deps import (
    CurrentPrincipal,
    EngineDep,
    ExpensiveCall,
    LocaleDep,
    PagingDep,
    RowId,
    SessionDep,
)
from broker.api.pagination import page_of
from broker.api.responses import errors
from broker.i18n.ranked import localize_reasons
from broker.schemas.common import Page
from broker.schemas.plan import PlanCreate, PlanRead, PlanSummary, ShortlistCreate
from broker.services import plans as service

router = APIRouter(prefix="/plans", tags=["plans"])


def _localized(plan: PlanRead, locale: str) -> PlanRead:
    lines = [
        line.model_copy(update={"reasons": localize_reasons(line.reasons, locale)}) for line in plan.lines
    ]
    return plan.model_copy(update={"lines": lines})


@router.post(
    "",
    summary="Build a portfolio plan",
    status_code=201,
    dependencies=[ExpensiveCall],
    responses=errors(403, 404),
)
def create_plan(
    body: PlanCreate, session: SessionDep, principal: CurrentPrincipal, engine: EngineDep, locale: LocaleDep
) -> PlanRead:
    """Rank the open requests (all, or those named), then choose offers (and funding windows) that
    maximise the total match score within each offer's yearly capacity, each window's envelope, k
    offers per request and the fairness floors, solved exactly (HiGHS); the answer compares the plan
    with the greedy baseline and says, per request, what it gave up and why."""
    plan = service.build(session, engine=engine, principal=principal, data=body)
    return _localized(service.view(session, plan), locale)


@router.get("", summary="List portfolio plans", responses=errors(403))
def list_plans(
    request: Request, session: SessionDep, principal: CurrentPrincipal, paging: PagingDep
) -> Page[PlanSummary]:
    """Plans, newest first."""
    items, total = service.listing(session, principal=principal, limit=paging.limit, offset=paging.offset)
    return page_of(request, paging, items=items, total=total)


@router.get("/{plan_id}", summary="Get a portfolio plan", responses=errors(403, 404))
def get_plan(plan_id: RowId, session: SessionDep, principal: CurrentPrincipal, locale: LocaleDep) -> PlanRead:
    """A plan as solved, with its lines (served requests first, best first) and what-if cells."""
    plan = service.get(session, principal=principal, plan_id=plan_id)
    return _localized(service.view(session, plan), locale)


@router.post("/{plan_id}/shortlist", summary="Shortlist plan lines", responses=errors(403, 404))
def shortlist_lines(
    plan_id: RowId, body: ShortlistCreate, session: SessionDep, principal: CurrentPrincipal, locale: LocaleDep
) -> PlanRead:
    """Turn chosen lines into shortlisted matches (a review decision on each line's match; a line
    shortlisted before stays as it is)."""
    plan = service.shortlist(session, principal=principal, plan_id=plan_id, data=body)
    return _localized(service.view(session, plan), locale)
