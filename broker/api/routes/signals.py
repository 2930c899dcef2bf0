from __future__ import annotations

from fastapi import APIRouter

from broker.api.deps import CurrentPrincipal, RowId, SessionDep
from broker.api.responses import errors
from broker.schemas.signal import SignalPut, SignalRead
from broker.services import signals as service

router = APIRouter(prefix="/matches", tags=["matches"])


@router.put("/{match_id}/signal", summary="Signal interest in a match", responses=errors(403, 404))
def put_signal(
    match_id: RowId, body: SignalPut, session: SessionDep, principal: CurrentPrincipal
) -> SignalRead:
    """Say whether a match of your own request or offer interests you (institution keys, own side only)."""
    signal = service.record_signal(session, principal=principal, match_id=match_id, data=body)
    return SignalRead.model_validate(signal)
