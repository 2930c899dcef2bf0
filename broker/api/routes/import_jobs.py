from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from broker.api.deps import CurrentPrincipal, PagingDep, RowId, SessionDep
from broker.api.pagination import page_of
from broker.api.responses import errors
from broker.models import ImportJobStatus
from broker.schemas.common import Page
from broker.schemas.import_job import ImportJobRead
from broker.services.bulk import jobs

router = APIRouter(tags=["bulk"])


@router.get("/import-jobs/{job_id}", summary="Get an import job", responses=errors(403, 404))
def get_import_job(job_id: RowId, session: SessionDep, principal: CurrentPrincipal) -> ImportJobRead:
    """A background import: status, counts so far, and its report once finished (admin; broker: own)."""
    return ImportJobRead.of(jobs.get_job(session, principal=principal, job_id=job_id))


@router.get("/import-jobs", summary="List import jobs", responses=errors(403))
def list_import_jobs(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    paging: PagingDep,
    status: Annotated[ImportJobStatus | None, Query(description="only jobs in this state")] = None,
) -> Page[ImportJobRead]:
    """Background imports, newest first (admin: all; broker: own)."""
    items, total = jobs.list_jobs(
        session, principal=principal, status=status, limit=paging.limit, offset=paging.offset
    )
    return page_of(request, paging, items=[ImportJobRead.of(job) for job in items], total=total)
