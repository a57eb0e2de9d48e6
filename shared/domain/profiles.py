"""User profiles and the rules for who may create or change them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.domain.errors import Forbidden, ValidationFailed
from shared.domain.organizations import OrganizationType
from shared.domain.principal import Principal
from shared.domain.roles import Role, outranks_or_equals

ROLES_BY_ORGANIZATION_TYPE = {
    OrganizationType.ADVERTISER: frozenset({Role.ADVERTISER_MANAGER, Role.USER}),
    OrganizationType.AFFILIATE: frozenset({Role.AFFILIATE_MANAGER, Role.USER}),
    OrganizationType.AGENCY: frozenset({Role.AGENCY_MANAGER, Role.USER}),
    OrganizationType.PLATFORM_OWNER: frozenset({Role.ADMIN, Role.PLATFORM_OWNER, Role.USER}),
}
ROLES_WITHOUT_ORGANIZATION = frozenset({Role.USER, Role.ADMIN, Role.PLATFORM_OWNER})
MANAGER_OF = {
    OrganizationType.ADVERTISER: Role.ADVERTISER_MANAGER,
    OrganizationType.AFFILIATE: Role.AFFILIATE_MANAGER,
    OrganizationType.AGENCY: Role.AGENCY_MANAGER,
}


@dataclass(frozen=True)
class Profile:
    id: UUID
    organization_id: int | None
    role: Role
    email: str
    first_name: str | None
    last_name: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Membership:
    """The part of a profile that grants access: its role and organization."""

    role: Role
    organization_id: int | None


def check_role_fits(membership: Membership, organization_type: OrganizationType | None) -> None:
    """422 when the role does not belong in the organization (an AffiliateManager of an advertiser...)."""
    allowed = (ROLES_WITHOUT_ORGANIZATION if organization_type is None
               else ROLES_BY_ORGANIZATION_TYPE[organization_type])
    if membership.role not in allowed:
        where = organization_type.value if organization_type else "no"
        raise ValidationFailed(
            f"Role {membership.role.role_name} does not fit a {where} organization.",
            details=[{"field": "role_id", "location": "body", "message": "does not fit the organization",
                      "type": "value_error"}],
        )


def authorize_membership_change(actor: Principal, target_id: UUID, current: Membership | None,
                                proposed: Membership) -> None:
    """403 unless `actor` may give `target_id` the proposed role and organization.

    Nobody changes their own role or organization. Admin may do anything else; PlatformOwner anything
    short of Admin; a manager only inside their own organization, with roles no higher than theirs.
    """
    if target_id == actor.user_id:
        if current is None or current != proposed:
            raise Forbidden("You cannot change your own role or organization.")
        return
    if actor.role is Role.ADMIN:
        return
    if actor.role is Role.PLATFORM_OWNER:
        _require(proposed.role is not Role.ADMIN and (current is None or current.role is not Role.ADMIN))
        return
    if actor.role in MANAGER_OF.values() and actor.organization_id is not None:
        home = actor.organization_id
        _require(proposed.organization_id == home and (current is None or current.organization_id == home))
        _require(outranks_or_equals(actor.role, proposed.role))
        _require(current is None or outranks_or_equals(actor.role, current.role))
        return
    raise Forbidden("Your role may not manage other users.")


def authorize_profile_removal(actor: Principal, target_id: UUID, current: Membership) -> None:
    """403 unless `actor` may remove the profile; nobody removes their own."""
    if target_id == actor.user_id:
        raise Forbidden("You cannot remove your own profile.")
    authorize_membership_change(actor, target_id, current, current)


def _require(condition: bool) -> None:
    if not condition:
        raise Forbidden("You may not give this role or organization to this user.")
