"""Who is calling: the one principal every page, API call and service checks.

A principal is either an API key (``key_id``; machines and scripts) or a person's account
(``user_id``; signed in with a password, a second factor or single sign-on). Both carry a role
and, for institution callers, their institution, and the access rules below treat them alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from broker.errors import Forbidden
from broker.models.api_key import Role


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: int | None
    name: str
    role: Role
    institution_id: int | None = None
    user_id: int | None = None
    # An institution user who may invite and manage the accounts of their own institution.
    institution_admin: bool = False

    @property
    def reads_everything(self) -> bool:
        return self.role in (Role.admin, Role.staff, Role.broker)

    @property
    def manages_accounts(self) -> bool:
        """Admins manage every account; an institution's administrator those of their institution."""
        return self.role == Role.admin or (self.role == Role.institution and self.institution_admin)

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this action needs one of the roles: {allowed}")

    def require_write_for(self, institution_id: int) -> None:
        """Admins and brokers act for any institution; an institution caller only for its own."""
        if self.role in (Role.admin, Role.broker):
            return
        if self.role == Role.institution and self.institution_id == institution_id:
            return
        if self.role == Role.institution:
            raise Forbidden("an institution key may only change its own institution's records")
        raise Forbidden(f"role {self.role.value} cannot change offers, requests or institutions")
