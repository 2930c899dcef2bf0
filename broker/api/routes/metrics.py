from __future__ import annotations

from fastapi import APIRouter, Response

from broker.api.deps import CurrentPrincipal
from broker.api.responses import errors
from broker.metrics import render
from broker.models import Role

router = APIRouter(tags=["health"])


@router.get("/metrics", summary="Get Prometheus metrics", response_class=Response, responses=errors(403))
def prometheus_metrics(principal: CurrentPrincipal) -> Response:
    """Prometheus metrics (staff, admin): scrape with `Authorization: Bearer <key>`."""
    principal.require(Role.staff, Role.admin)
    body, content_type = render()
    return Response(body, media_type=content_type)
