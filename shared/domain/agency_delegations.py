"""Agency delegations: an advertiser organization lets an agency act for it within named permissions.

Lifecycle: pending -> active (the agency accepts) <-> suspended (the advertiser suspends and
reactivates); revoked (either side: a pending one is rejected, any live one revoked) and expired
(its `expires_at` passed) are final. Each step belongs to one side; platform administrators take any.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.domain.errors import Conflict, Forbidden, ValidationFailed
from shared.domain.principal import Actor


class DelegationStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    EXPIRED = "expired"


LIVE = frozenset({DelegationStatus.PENDING, DelegationStatus.ACTIVE, DelegationStatus.SUSPENDED})
# Statuses that turn into `expired` when `expires_at` passes (a suspended grant stays suspended until revoked).
EXPIRING = frozenset({DelegationStatus.PENDING, DelegationStatus.ACTIVE})


class Permission(enum.StrEnum):
    """The original's 16 permission strings, in its order."""

    CAMPAIGN_CREATE = "campaign_create"
    CAMPAIGN_MANAGE = "campaign_manage"
    CAMPAIGN_VIEW = "campaign_view"
    CAMPAIGN_DELETE = "campaign_delete"
    ASSOCIATION_INVITE = "association_invite"
    ASSOCIATION_MANAGE = "association_manage"
    ASSOCIATION_VIEW = "association_view"
    INVITATION_CREATE = "invitation_create"
    INVITATION_MANAGE = "invitation_manage"
    INVITATION_VIEW = "invitation_view"
    ANALYTICS_VIEW = "analytics_view"
    ANALYTICS_EXPORT = "analytics_export"
    BILLING_VIEW = "billing_view"
    BILLING_MANAGE = "billing_manage"
    ORGANIZATION_VIEW = "organization_view"
    ORGANIZATION_MANAGE = "organization_manage"


# What an agency may do on behalf of an advertiser: policy action -> the permission it needs.
# Actions missing here are never delegable (profiles, provider mappings, Everflow sync, audit, the
# delegation routes themselves, affiliate-side actions, platform administration).
ACTION_PERMISSIONS: dict[str, Permission] = {
    "campaigns.create": Permission.CAMPAIGN_CREATE,
    "campaigns.update": Permission.CAMPAIGN_MANAGE,
    "campaigns.archive": Permission.CAMPAIGN_DELETE,
    "campaigns.read": Permission.CAMPAIGN_VIEW,
    "tracking_links.create": Permission.CAMPAIGN_MANAGE,
    "tracking_links.update": Permission.CAMPAIGN_MANAGE,
    "tracking_links.read": Permission.CAMPAIGN_VIEW,
    "associations.create": Permission.ASSOCIATION_INVITE,
    "associations.decide": Permission.ASSOCIATION_MANAGE,
    "associations.read": Permission.ASSOCIATION_VIEW,
    "associations.visible": Permission.ASSOCIATION_VIEW,
    "invitations.create": Permission.INVITATION_CREATE,
    "invitations.manage": Permission.INVITATION_MANAGE,
    "invitations.read": Permission.INVITATION_VIEW,
    "dashboards.read": Permission.ANALYTICS_VIEW,
    "reports.read": Permission.ANALYTICS_VIEW,
    "activities.read": Permission.ANALYTICS_VIEW,
    "billing.read": Permission.BILLING_VIEW,
    "billing.manage": Permission.BILLING_MANAGE,
    "organizations.list": Permission.ORGANIZATION_VIEW,
    "organizations.read": Permission.ORGANIZATION_VIEW,
    "advertisers.read": Permission.ORGANIZATION_VIEW,
    "organizations.update": Permission.ORGANIZATION_MANAGE,
    "advertisers.create": Permission.ORGANIZATION_MANAGE,
    "advertisers.update": Permission.ORGANIZATION_MANAGE,
    "advertisers.archive": Permission.ORGANIZATION_MANAGE,
}
# Reads whose CSV download (`format=csv`) is an export, which needs its own permission.
EXPORTABLE = frozenset({"reports.read"})


def required_permission(action: str, *, export: bool = False) -> Permission | None:
    """The permission an action needs when done on behalf of an advertiser; None: not delegable."""
    if export and action in EXPORTABLE:
        return Permission.ANALYTICS_EXPORT
    return ACTION_PERMISSIONS.get(action)


class PermissionNotDelegated(Forbidden):
    code = "permission_not_delegated"


def require_delegated(actor: Actor, permission: Permission) -> None:
    """For rules finer than a route (a PUT that archives): 403 when an agency acts without `permission`."""
    behalf = actor.principal.on_behalf if actor.principal else None
    if behalf is not None and permission.value not in behalf.permissions:
        raise PermissionNotDelegated(f"The delegation does not grant {permission.value}.",
                                     details={"required_permission": permission.value})


class Side(enum.StrEnum):
    AGENCY = "agency"
    ADVERTISER = "advertiser"


class Step(enum.StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    SUSPEND = "suspend"
    REACTIVATE = "reactivate"
    REVOKE = "revoke"
    PERMISSIONS = "permissions"
    EXPIRATION = "expiration"


# step -> (the statuses it starts from, the status it leads to (None: unchanged), the sides that may take it)
STEPS: dict[Step, tuple[frozenset[DelegationStatus], DelegationStatus | None, frozenset[Side]]] = {
    Step.ACCEPT: (frozenset({DelegationStatus.PENDING}), DelegationStatus.ACTIVE, frozenset({Side.AGENCY})),
    Step.REJECT: (frozenset({DelegationStatus.PENDING}), DelegationStatus.REVOKED, frozenset(Side)),
    Step.SUSPEND: (frozenset({DelegationStatus.ACTIVE}), DelegationStatus.SUSPENDED, frozenset({Side.ADVERTISER})),
    Step.REACTIVATE: (frozenset({DelegationStatus.SUSPENDED}), DelegationStatus.ACTIVE,
                      frozenset({Side.ADVERTISER})),
    Step.REVOKE: (LIVE, DelegationStatus.REVOKED, frozenset(Side)),
    Step.PERMISSIONS: (LIVE, None, frozenset({Side.ADVERTISER})),
    Step.EXPIRATION: (LIVE, None, frozenset({Side.ADVERTISER})),
}


@dataclass(frozen=True)
class Delegation:
    delegation_id: int
    agency_org_id: int
    advertiser_org_id: int
    status: DelegationStatus
    permissions: list[Permission]
    delegated_by_user_id: UUID | None
    accepted_by_user_id: UUID | None
    message: str | None
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    accepted_at: datetime | None

    def effective_status(self, now: datetime) -> DelegationStatus:
        """The stored status, except that a pending or active grant past its expiry is expired."""
        if self.status in EXPIRING and self.expires_at is not None and self.expires_at <= now:
            return DelegationStatus.EXPIRED
        return self.status

    def grants(self, permission: Permission, now: datetime) -> bool:
        """Whether the agency may use `permission` now: active, unexpired, and holding it."""
        return self.effective_status(now) is DelegationStatus.ACTIVE and permission in self.permissions

    def side_of(self, organization_id: int | None) -> Side | None:
        if organization_id == self.agency_org_id:
            return Side.AGENCY
        return Side.ADVERTISER if organization_id == self.advertiser_org_id else None


@dataclass(frozen=True)
class NewDelegation:
    agency_org_id: int
    advertiser_org_id: int
    permissions: list[Permission]
    delegated_by_user_id: UUID | None
    message: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class DelegationFilter:
    agency_org_id: int | None = None
    advertiser_org_id: int | None = None
    status: DelegationStatus | None = None
    include_expired: bool = False


def next_status(delegation: Delegation, step: Step, side: Side | None, now: datetime) -> DelegationStatus:
    """The status a step leads to; `side` None is a platform administrator.

    The wrong side is a 403; a step from a status it does not start from (an expired grant included) a 409.
    """
    starts, end, sides = STEPS[step]
    if side is not None and side not in sides:
        who = " or ".join(sorted(s.value for s in sides))
        raise Forbidden(f"Only the {who} organization can {step.value} this delegation."
                        if step not in (Step.PERMISSIONS, Step.EXPIRATION)
                        else f"Only the {who} organization can change this delegation's {step.value}.")
    current = delegation.effective_status(now)
    if current not in starts:
        allowed = ", ".join(sorted(s.value for s in starts))
        raise Conflict(f"Cannot {step.value} a delegation that is {current.value} (it must be {allowed}).")
    return end or current


def check_expiry(expires_at: datetime | None, now: datetime) -> None:
    """422 unless the expiry is in the future (None: never expires)."""
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed("expires_at: must be in the future.", details=[{
            "field": "expires_at", "location": "body", "message": "must be in the future", "type": "value_error"}])


def delegation_fields(delegation: Delegation) -> dict[str, object]:
    """What an audit entry compares and an event carries."""
    return {
        "agency_org_id": delegation.agency_org_id,
        "advertiser_org_id": delegation.advertiser_org_id,
        "status": delegation.status.value,
        "permissions": [p.value for p in delegation.permissions],
        "expires_at": delegation.expires_at.isoformat() if delegation.expires_at else None,
        "accepted_by_user_id": str(delegation.accepted_by_user_id) if delegation.accepted_by_user_id else None,
    }
