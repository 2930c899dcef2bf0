"""The staff pages of portfolio plans: build one, review its lines, shortlist the chosen ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field, ValidationError

from broker.api.deps import EngineDep, RowId, SessionDep
from broker.errors import InvalidInput
from broker.models import FundingMode
from broker.schemas.plan import PlanCreate, ShortlistCreate
from broker.services import plans
from broker.ui.deps import PostingViewerDep, ViewerDep
from broker.ui.forms import FormErrors
from broker.ui.rendering import UiRoute, redirect, render

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
PAGE_SIZE = 50


class PlanFields(BaseModel):
    """The plan form as posted (text fields; PlanCreate checks the values)."""

    name: str = Field(default="Portfolio plan", max_length=200)
    funding: str = Field(default="none", max_length=20)
    offers_per_request: str = Field(default="1", max_length=10)
    candidates_per_request: str = Field(default="10", max_length=10)
    floor_region: str = Field(default="", max_length=100)
    floor_share: str = Field(default="", max_length=10)
    include_weak: str = Field(default="", max_length=10)  # a checkbox: "on" when ticked


def _plan_request(fields: PlanFields) -> PlanCreate:
    body: dict[str, object] = {
        "name": fields.name.strip() or "Portfolio plan",
        "funding": fields.funding,
        "offers_per_request": _number(fields.offers_per_request, "offers_per_request"),
        "candidates_per_request": _number(fields.candidates_per_request, "candidates_per_request"),
        "include_weak": bool(fields.include_weak),
    }
    if fields.floor_region.strip():
        share = _number(fields.floor_share or "0", "floor_share", float) / 100.0
        body["floors"] = [{"region": fields.floor_region.strip(), "min_share": share}]
    try:
        return PlanCreate.model_validate(body)
    except ValidationError as exc:
        raise FormErrors.of(InvalidInput([dict(e) for e in exc.errors()])) from None


def _number(text: str, field: str, kind: type = int) -> int | float:
    try:
        return kind(text.strip())  # type: ignore[no-any-return]
    except ValueError:
        raise FormErrors({field: ["a number is needed"]}) from None


@router.get("/plans")
def list_plans(request: Request, session: SessionDep, viewer: ViewerDep) -> HTMLResponse:
    """The plans, newest first, and the form that builds one."""
    items, total = plans.listing(session, principal=viewer.principal, limit=PAGE_SIZE, offset=0)
    context = {"viewer": viewer, "section": "plans", "plans": items, "total": total, "errors": {},
               "fields": PlanFields(), "modes": [m.value for m in FundingMode]}  # fmt: skip
    return render(request, "plans.html", context)


@router.post("/plans", response_model=None)
def build_plan(
    request: Request,
    fields: Annotated[PlanFields, Form()],
    session: SessionDep,
    viewer: PostingViewerDep,
    engine: EngineDep,
) -> HTMLResponse | RedirectResponse:
    """Build a plan over every open request and show it."""
    try:
        plan = plans.build(session, engine=engine, principal=viewer.principal, data=_plan_request(fields))
    except (FormErrors, InvalidInput) as exc:
        errors = exc.errors if isinstance(exc, FormErrors) else FormErrors.of(exc).errors
        items, total = plans.listing(session, principal=viewer.principal, limit=PAGE_SIZE, offset=0)
        context = {"viewer": viewer, "section": "plans", "plans": items, "total": total, "errors": errors,
                   "fields": fields, "modes": [m.value for m in FundingMode]}  # fmt: skip
        return render(request, "plans.html", context, status=422)
    return redirect(f"/ui/plans/{plan.id}")


@router.get("/plans/{plan_id}")
def plan_detail(
    request: Request, plan_id: RowId, session: SessionDep, viewer: ViewerDep, shortlisted: int | None = None
) -> HTMLResponse:
    """A plan: its total against the greedy baseline, its lines with what each request gave up, the
    requests it leaves unserved and what one more offer would unlock."""
    plan = plans.view(session, plans.get(session, principal=viewer.principal, plan_id=plan_id))
    context = {"viewer": viewer, "section": "plans", "plan": plan, "shortlisted": shortlisted}
    return render(request, "plan.html", context)


@router.post("/plans/{plan_id}/shortlist")
def shortlist(
    plan_id: RowId,
    session: SessionDep,
    viewer: PostingViewerDep,
    line_ids: Annotated[list[int], Form(max_length=500)],
) -> RedirectResponse:
    """Shortlist the ticked lines' matches (staff, admin)."""
    plans.shortlist(
        session, principal=viewer.principal, plan_id=plan_id, data=ShortlistCreate(line_ids=line_ids)
    )
    return redirect(f"/ui/plans/{plan_id}?shortlisted={len(line_ids)}")
