from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from broker.api.deps import EngineDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="Check the process is alive")
async def health() -> dict[str, str]:
    """Liveness: the process answers (no key needed). Touches nothing else, so it stays fast under load."""
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="Check the service is ready",
    responses={503: {"description": "Not ready: `checks` says which part is not"}},
)
def ready(request: Request, engine: EngineDep) -> JSONResponse:
    """Readiness (no key needed): the database answers, the model is loaded, the match index is in sync."""
    checks = {"model": f"ok: {engine.encoder.model_id}"}
    try:
        with request.app.state.session_factory() as session:
            session.execute(text("SELECT 1"))
            checks["database"] = "ok"
            engine.sync(session)
            checks["index"] = f"ok: {len(engine.offers)} offers at generation {engine.generation}"
    except Exception as exc:  # "not ready" is the answer here, not an error
        checks.setdefault("database", f"unavailable: {type(exc).__name__}")
        checks.setdefault("index", f"not in sync: {type(exc).__name__}")
    ok = all(value.startswith("ok") for value in checks.values())
    body = {"status": "ready" if ok else "not_ready", "checks": checks}
    return JSONResponse(body, status_code=200 if ok else 503)
