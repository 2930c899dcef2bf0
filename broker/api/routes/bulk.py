from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from broker.api.deps import CurrentPrincipal, EngineDep, ExpensiveCall, SessionDep
from broker.api.responses import errors
from broker.api.routes.import_jobs import router as import_jobs_router
from broker.errors import BrokerError, InvalidInput, RequestTimeout
from broker.models import Role
from broker.schemas.bulk import ImportReport
from broker.schemas.import_job import ImportJobRead
from broker.services import keys
from broker.services.bulk import exports, formats, imports, ingest, jobs
from broker.services.bulk.formats import RawRecord

router = APIRouter(tags=["bulk"])
router.include_router(import_jobs_router)
Kind = Literal["institutions", "offers", "requests"]
MEDIA = {
    formats.Format.csv: "text/csv",
    formats.Format.json: "application/json",
    formats.Format.ndjson: "application/x-ndjson",
}


async def read_text_body(request: Request) -> str:
    """The whole body as UTF-8 text, read before any database work (so no lock waits on a slow client)."""
    try:
        async with asyncio.timeout(request.app.state.settings.body_timeout_seconds):
            body = await request.body()
    except TimeoutError:
        raise RequestTimeout("the request body did not arrive in time") from None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the body is not UTF-8 text") from None


# The body is read as text, so FastAPI cannot describe it: say what it may be, with an example of each.
IMPORT_BODY = {
    "required": True,
    "content": {
        "text/csv": {
            "schema": {"type": "string"},
            "example": (
                "external_id,name,country,kind,languages\n"
                "moz-mined,Ministry of Education,Mozambique,government,pt\n"
                "br-fnde,FNDE,BR,government,pt;es\n"
            ),
        },
        "application/json": {
            "schema": {"type": "object", "description": "A list of one kind, or a bundle by kind"},
            "example": {
                "institutions": [
                    {
                        "external_id": "br-fnde",
                        "name": "FNDE",
                        "country": "BR",
                        "kind": "government",
                        "languages": ["pt", "es"],
                    }
                ],
                "offers": [
                    {
                        "external_id": "fnde-pnae",
                        "institution": "br-fnde",
                        "title": "School feeding bought from family farmers",
                        "description": "Schools buy at least 30% of their food from local family farms.",
                        "sectors": ["11220"],
                    }
                ],
            },
        },
        "application/x-ndjson": {
            "schema": {"type": "string"},
            "example": (
                '{"external_id": "moz-mined", "name": "Ministry of Education", "country": "MZ", '
                '"kind": "government", "languages": ["pt"]}\n'
            ),
        },
    },
}

# Listed first among an endpoint's parameters, so it is resolved before SessionDep opens a transaction.
TextBody = Annotated[str, Depends(read_text_body)]


def embed_ahead(
    request: Request,
    text: TextBody,
    engine: EngineDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False))],
    fmt: Annotated[formats.Format, Query(alias="format")],
    kind: Kind | None = None,
    run_async: Annotated[bool, Query(alias="async")] = False,
) -> list[RawRecord] | None:
    """For a synchronous import, embed the file's new texts before the request's transaction opens,
    so the write lock is not held while the model runs (see ``broker.services.bulk.ingest``).

    Only for a valid admin or broker key (checked in a read-only session; the endpoint checks it
    again, and records refusals); otherwise, or if the body does not parse, it leaves everything to
    the endpoint. Returns the parsed records, or None.
    """
    if run_async:
        return None
    factory = request.app.state.session_factory
    try:
        with factory() as session:
            caller = keys.authenticate(session, credentials.credentials if credentials else None)
        caller.require(Role.admin, Role.broker)
        records = formats.parse(text, fmt, kind)
    except BrokerError:
        return None
    ingest.embed_ahead(factory, encoder=engine.encoder, texts=ingest.record_texts(records))
    return records


# Listed before SessionDep too: it runs before the request's transaction (and write lock) begins.
EmbeddedAhead = Annotated[list[RawRecord] | None, Depends(embed_ahead)]


@router.post(
    "/import",
    summary="Import records",
    dependencies=[ExpensiveCall],
    openapi_extra={"requestBody": IMPORT_BODY},
    status_code=200,
    responses={
        **errors(403, 408),
        202: {"model": ImportJobRead, "description": "async=true: accepted; poll the job at Location"},
        422: {"model": ImportReport, "description": "Nothing imported"},
    },
)
def import_records(
    text: TextBody,
    parsed: EmbeddedAhead,
    session: SessionDep,
    principal: CurrentPrincipal,
    engine: EngineDep,
    request: Request,
    background: BackgroundTasks,
    fmt: Annotated[formats.Format, Query(alias="format")],
    kind: Kind | None = None,
    partial: bool = False,
    run_async: Annotated[
        bool, Query(alias="async", description="Answer 202 at once and import in the background")
    ] = False,
) -> ImportReport:
    """Import a CSV, JSON or NDJSON body (admin, broker): all or nothing unless partial=true.

    Up to the 1 MiB body limit; use `broker import` for larger files. With async=true the answer is
    202 with the job (`Location: /api/v1/import-jobs/{id}`) to poll for progress and the report.
    """
    # A plain ``def``: parsing, validation and embedding run in a worker thread, not on the event loop.
    if run_async:
        job = jobs.submit_job(
            session,
            principal=principal,
            fmt=fmt,
            kind=kind,
            partial=partial,
            body_bytes=len(text.encode()),
            text=text,
        )
        # After the response, i.e. after the job's row is committed (SessionDep commits first).
        factory = request.app.state.session_factory
        background.add_task(jobs.start_job, factory, job_id=job.id, text=text, encoder=engine.encoder)
        location = request.url_for("get_import_job", job_id=job.id).path
        body = ImportJobRead.of(job).model_dump(mode="json")
        return JSONResponse(body, status_code=202, headers={"Location": location})  # type: ignore[return-value]
    records = parsed if parsed is not None else formats.parse(text, fmt, kind)
    report = imports.import_records(
        session, principal=principal, records=records, encoder=engine.encoder, partial=partial
    )
    if not report.applied:  # nothing was written
        return JSONResponse(report.model_dump(), status_code=422)  # type: ignore[return-value]
    return report


@router.get("/export", summary="Export records", responses=errors(403), response_class=Response)
def export_records(
    session: SessionDep,
    principal: CurrentPrincipal,
    kind: Kind,
    fmt: Annotated[formats.Format, Query(alias="format")] = formats.Format.json,
) -> Response:
    """Every record of one kind in the importer's columns (admin, broker, staff)."""
    text = exports.export_records(session, principal=principal, kind=kind, fmt=fmt)
    disposition = f'attachment; filename="{kind}.{fmt.value}"'
    return Response(text, media_type=MEDIA[fmt], headers={"Content-Disposition": disposition})
