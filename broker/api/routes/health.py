from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from broker.api.deps import SessionDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(session: SessionDep) -> dict[str, str]:
    """Liveness and database reachability; needs no API key."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}
