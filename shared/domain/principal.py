"""Who is calling: the verified user, their role and their organization."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from shared.domain.roles import Role


@dataclass(frozen=True)
class Principal:
    user_id: UUID
    role: Role
    organization_id: int | None
    email: str | None = None

    def can_see_organization(self, organization_id: int) -> bool:
        return self.role.crosses_tenants or self.organization_id == organization_id
