from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from broker.api.deps import CurrentPrincipal, EngineDep, ExpensiveCall, SessionDep
from broker.api.responses import errors
from broker.errors import InvalidInput, RequestTimeout
from broker.schemas.bulk import ImportReport
from broker.services.bulk import exports, formats, imports

router = APIRouter(tags=["bulk"])
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


@router.post(
    "/import",
    summary="Import records",
    dependencies=[ExpensiveCall],
    openapi_extra={"requestBody": IMPORT_BODY},
    responses={**errors(403, 408), 422: {"model": ImportReport, "description": "Nothing imported"}},
)
def import_records(
    text: TextBody,
    session: SessionDep,
    principal: CurrentPrincipal,
    engine: EngineDep,
    fmt: Annotated[formats.Format, Query(alias="format")],
    kind: Kind | None = None,
    partial: bool = False,
) -> ImportReport:
    """Import a CSV, JSON or NDJSON body (admin, broker): all or nothing unless partial=true.

    Up to the 1 MiB body limit; use `broker import` for larger files.
    """
    # A plain ``def``: parsing, validation and embedding run in a worker thread, not on the event loop.
    records = formats.parse(text, fmt, kind)
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
