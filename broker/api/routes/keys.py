from __future__ import annotations

from fastapi import APIRouter

from broker.api.deps import CurrentPrincipal, RowId, SessionDep
from broker.api.responses import errors
from broker.models import Role
from broker.schemas.api_key import ApiKeyCreate, ApiKeyCreated, ApiKeyRead, Me
from broker.services import keys as service

router = APIRouter(tags=["keys"])


@router.get("/me", summary="Show the calling key", responses=errors())
def whoami(principal: CurrentPrincipal) -> Me:
    """Who you are calling as (an API key or a person's session): role and institution."""
    return Me(
        key_id=principal.key_id,
        user_id=principal.user_id,
        name=principal.name,
        role=principal.role,
        institution_id=principal.institution_id,
    )


@router.post("/keys", summary="Create an API key", status_code=201, responses=errors(403, 404))
def create_key(body: ApiKeyCreate, session: SessionDep, principal: CurrentPrincipal) -> ApiKeyCreated:
    """Issue an API key (admin). The secret is in the response and nowhere else."""
    principal.require(Role.admin)
    issued = service.issue_key(
        session,
        name=body.name,
        role=body.role,
        institution_id=body.institution_id,
        expires_at=body.expires_at,
        actor=principal,
    )
    return ApiKeyCreated(**ApiKeyRead.model_validate(issued.row).model_dump(), key=issued.key)


@router.get("/keys", summary="List API keys", responses=errors(403))
def list_keys(session: SessionDep, principal: CurrentPrincipal) -> list[ApiKeyRead]:
    """Every key, without secrets (admin)."""
    principal.require(Role.admin)
    return [ApiKeyRead.model_validate(k) for k in service.list_keys(session)]


@router.delete("/keys/{key_id}", summary="Revoke an API key", responses=errors(403, 404))
def revoke_key(key_id: RowId, session: SessionDep, principal: CurrentPrincipal) -> ApiKeyRead:
    """Revoke a key at once (admin); the row stays for the audit trail."""
    principal.require(Role.admin)
    return ApiKeyRead.model_validate(service.revoke_key(session, key_id=key_id, actor=principal))
