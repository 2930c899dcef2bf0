from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from broker.api.deps import CurrentPrincipal, EngineDep, SessionDep
from broker.api.responses import errors
from broker.errors import InvalidInput
from broker.schemas.bulk import ImportReport
from broker.services.bulk import exports, formats, imports

router = APIRouter(tags=["bulk"])
Kind = Literal["institutions", "offers", "requests"]
MEDIA = {
    formats.Format.csv: "text/csv",
    formats.Format.json: "application/json",
    formats.Format.ndjson: "application/x-ndjson",
}


@router.post(
    "/import", responses={**errors(403), 422: {"model": ImportReport, "description": "Nothing imported"}}
)
async def import_records(
    request: Request,
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
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the body is not UTF-8 text") from None
    records = formats.parse(text, fmt, kind)
    report = imports.import_records(
        session, principal=principal, records=records, encoder=engine.encoder, partial=partial
    )
    if not report.applied:  # nothing was written
        return JSONResponse(report.model_dump(), status_code=422)  # type: ignore[return-value]
    return report


@router.get("/export", responses=errors(403), response_class=Response)
def export_records(
    session: SessionDep,
    principal: CurrentPrincipal,
    kind: Kind,
    fmt: Annotated[formats.Format, Query(alias="format")] = formats.Format.json,
) -> Response:
    """Every record of one kind in the importer's columns (admin, broker, staff)."""
    text = exports.export_records(session, principal=principal, kind=kind, fmt=fmt)
    return Response(text, media_type=MEDIA[fmt])
