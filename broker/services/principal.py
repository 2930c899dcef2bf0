"""Who is calling, and the access rules every service applies."""

from __future__ import annotations

from dataclasses import dataclass

from broker.errors import Forbidden
from broker.models import Role


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: int
    name: str
    role: Role
    institution_id: int | None = None

    @property
    def reads_everything(self) -> bool:
        return self.role in (Role.admin, Role.staff, Role.broker)

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            allowed = ", ".join(r.value for r in roles)
            raise Forbidden(f"this action needs one of the roles: {allowed}")

    def require_write_for(self, institution_id: int) -> None:
        """Admins and brokers act for any institution; an institution key only for its own."""
        if self.role in (Role.admin, Role.broker):
            return
        if self.role == Role.institution and self.institution_id == institution_id:
            return
        if self.role == Role.institution:
            raise Forbidden("an institution key may only change its own institution's records")
        raise Forbidden(f"role {self.role.value} cannot change offers, requests or institutions")
