from __future__ import annotations

from fastapi import APIRouter

from broker.api.deps import CurrentPrincipal, EngineDep, ExpensiveCall, SessionDep
from broker.api.responses import errors
from broker.schemas.suggest import SuggestBody, SuggestionsRead
from broker.services.suggestions import CONFIDENT

router = APIRouter(tags=["suggestions"])


# A plain def: the embedding model is CPU-bound, so FastAPI runs this in its thread pool.
@router.post(
    "/suggest", summary="Suggest codes for a text", dependencies=[ExpensiveCall], responses=errors()
)  # embeds: limited per key
def suggest_codes(
    body: SuggestBody, _: CurrentPrincipal, session: SessionDep, engine: EngineDep
) -> SuggestionsRead:
    """Suggest DAC sectors, SDGs and targets, modalities and outcomes for a title and description."""
    found = engine.suggester.suggest_text(session, title=body.title, description=body.description)
    return SuggestionsRead(**found.as_dict(), confident_at=CONFIDENT, model_id=engine.encoder.model_id)
