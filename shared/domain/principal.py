"""Who is calling, what they may reach, and the request they act through."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from shared.domain.roles import Role


@dataclass(frozen=True)
class TenantScope:
    """The organizations a transaction may touch: `None` means all of them (Admin, PlatformOwner, system)."""

    organization_ids: frozenset[int] | None
    user_id: UUID | None = None

    @classmethod
    def everything(cls) -> TenantScope:
        return cls(None)

    @classmethod
    def only(cls, *organization_ids: int, user_id: UUID | None = None) -> TenantScope:
        return cls(frozenset(organization_ids), user_id)

    @property
    def crosses_tenants(self) -> bool:
        return self.organization_ids is None

    def allows(self, organization_id: int | None) -> bool:
        return self.organization_ids is None or organization_id in self.organization_ids


@dataclass(frozen=True)
class OnBehalf:
    """Who really acts when an agency manager works for an advertiser under a delegation."""

    agency_organization_id: int
    delegation_id: int
    advertiser_organization_id: int
    permissions: frozenset[str] = frozenset()  # what the delegation grants, for rules finer than a route


@dataclass(frozen=True)
class Principal:
    """The caller as services see them; `on_behalf` set: an agency manager acting as the advertiser's manager."""

    user_id: UUID
    role: Role
    organization_id: int | None
    email: str | None = None
    on_behalf: OnBehalf | None = None

    def acting_for(self, advertiser_organization_id: int, delegation_id: int,
                   permissions: frozenset[str]) -> Principal:
        """This agency manager as a manager of the advertiser organization, scoped to it alone."""
        assert self.organization_id is not None
        return Principal(self.user_id, Role.ADVERTISER_MANAGER, advertiser_organization_id, self.email,
                         OnBehalf(self.organization_id, delegation_id, advertiser_organization_id, permissions))

    @property
    def real(self) -> Principal:
        """The caller as their profile says (the agency manager, when acting on behalf)."""
        if self.on_behalf is None:
            return self
        return Principal(self.user_id, Role.AGENCY_MANAGER, self.on_behalf.agency_organization_id, self.email)

    @property
    def scope(self) -> TenantScope:
        if self.role.crosses_tenants:
            return TenantScope.everything()
        orgs = () if self.organization_id is None else (self.organization_id,)
        return TenantScope.only(*orgs, user_id=self.user_id)


@dataclass(frozen=True)
class Identity:
    """What a verified token says: the user's id and sign-in email."""

    user_id: UUID
    email: str | None = None


@dataclass(frozen=True)
class Actor:
    """Who acts (a verified identity, and their profile once they have one) and through which request.

    Public routes and system work have neither identity nor principal.
    """

    principal: Principal | None
    identity: Identity | None = None
    request_id: str | None = None
    client_ip: str | None = None

    @property
    def scope(self) -> TenantScope:
        """What this actor's transactions may touch (nothing but their own profile before they have one)."""
        if self.principal is not None:
            return self.principal.scope
        return TenantScope.only(user_id=self.identity.user_id if self.identity else None)

    @property
    def user(self) -> Principal:
        assert self.principal is not None, "only authenticated use cases read actor.user"
        return self.principal


SYSTEM = Actor(principal=None)
