from __future__ import annotations

from fastapi import APIRouter

from broker.api.deps import CurrentPrincipal, RowId, SessionDep
from broker.api.responses import errors
from broker.schemas.import_job import ImportJobRead
from broker.services.bulk import jobs

router = APIRouter(tags=["bulk"])


@router.get("/import-jobs/{job_id}", summary="Get an import job", responses=errors(403, 404))
def get_import_job(job_id: RowId, session: SessionDep, principal: CurrentPrincipal) -> ImportJobRead:
    """A background import: status, counts so far, and its report once finished (admin; broker: own)."""
    return ImportJobRead.of(jobs.get_job(session, principal=principal, job_id=job_id))
