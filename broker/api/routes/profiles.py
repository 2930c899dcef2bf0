from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from broker.api.deps import CurrentPrincipal, EngineDep, ExpensiveCall, SessionDep
from broker.api.responses import errors
from broker.schemas.profile import ProfilePut, ProfileRead
from broker.services import learning
from broker.services import profiles as service
from broker.services.learning import LearnReport

router = APIRouter(prefix="/scoring-profiles", tags=["scoring profiles"])
ProfileName = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


@router.get("", summary="List scoring profiles", responses=errors())
def list_profiles(session: SessionDep, _: CurrentPrincipal) -> list[ProfileRead]:
    """Every scoring profile with its normalised weights."""
    return [ProfileRead.model_validate(p) for p in service.list_profiles(session)]


@router.get("/{name}", summary="Get a scoring profile", responses=errors(404))
def get_profile(name: ProfileName, session: SessionDep, _: CurrentPrincipal) -> ProfileRead:
    """One scoring profile."""
    return ProfileRead.model_validate(service.get_profile(session, name=name))


@router.put("/{name}", summary="Create or replace a scoring profile", responses=errors(403, 409))
def put_profile(
    name: ProfileName, body: ProfilePut, session: SessionDep, principal: CurrentPrincipal
) -> ProfileRead:
    """Create or replace a scoring profile (staff, admin); weights are normalised to sum to 1."""
    return ProfileRead.model_validate(service.put_profile(session, principal=principal, name=name, data=body))


@router.post(
    "/{name}/learn",
    summary="Learn a scoring profile from staff decisions",
    dependencies=[ExpensiveCall],
    responses=errors(403, 404),
)
def learn_profile(
    name: ProfileName,
    session: SessionDep,
    principal: CurrentPrincipal,
    engine: EngineDep,
    base: Annotated[
        str | None, Query(max_length=80, description="Profile to beat (default: the default)")
    ] = None,
) -> LearnReport:
    """Fit weights to staff decisions (staff, admin); saved as `name` only if better on held-out decisions.

    Refused with 422 when there are too few decisions.
    """
    return learning.learn_profile(session, principal=principal, engine=engine, base=base, name=name)
