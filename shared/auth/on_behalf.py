"""Acting on behalf: an agency manager sends `X-On-Behalf-Of: <advertiser organization id>`.

The request then runs as a manager of that advertiser organization (and only of it), provided the
advertiser gave the caller's agency an active, unexpired delegation holding the permission the
route's action needs; the principal keeps who really acts, so the audit log can say so.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from shared.auth.policy import authorize
from shared.db.uow import UnitOfWork
from shared.domain.agency_delegations import DelegationStatus, PermissionNotDelegated, required_permission
from shared.domain.errors import DomainError, Forbidden
from shared.domain.principal import Principal, TenantScope
from shared.domain.roles import Role

HEADER = "X-On-Behalf-Of"
ORGANIZATION_ID = re.compile(r"^[1-9][0-9]{0,17}$")


class InvalidOnBehalf(DomainError):
    status = 400
    code = "invalid_on_behalf_of"


class OnBehalfNotAllowed(Forbidden):
    code = "on_behalf_not_allowed"


class ActionNotDelegable(Forbidden):
    code = "action_not_delegable"


class DelegationInactive(Forbidden):
    code = "delegation_inactive"


# Every refusal of an on-behalf request, by code (what clients and tests tell apart).
REFUSAL_CODES = frozenset(kind.code for kind in (
    InvalidOnBehalf, OnBehalfNotAllowed, ActionNotDelegable, DelegationInactive, PermissionNotDelegated))


def act_on_behalf(principal: Principal | None, header: str, action: str, *, export: bool = False) -> Principal:
    """The principal an on-behalf request runs as, or the reason (400/401/403) it may not."""
    advertiser_org_id = _organization_id(header)
    if principal is None:
        authorize(principal, action)  # 401 no_profile (or the two routes that need none)
        raise OnBehalfNotAllowed("Create your profile before acting on behalf of an organization.")
    agency_org_id = principal.organization_id
    if principal.role is not Role.AGENCY_MANAGER or agency_org_id is None:
        raise OnBehalfNotAllowed(f"Only agency managers of an agency organization may send {HEADER}.")
    permission = required_permission(action, export=export)
    if permission is None:
        raise ActionNotDelegable("This action cannot be delegated to an agency.")
    with UnitOfWork(TenantScope.only(agency_org_id, user_id=principal.user_id)) as uow:
        delegation = uow.agency_delegations.live_between(agency_org_id, advertiser_org_id)
    if delegation is None or delegation.effective_status(datetime.now(UTC)) is not DelegationStatus.ACTIVE:
        raise DelegationInactive(f"Your agency has no active delegation from organization {advertiser_org_id}.")
    if permission not in delegation.permissions:
        raise PermissionNotDelegated(f"The delegation does not grant {permission.value}.",
                                     details={"required_permission": permission.value})
    granted = frozenset(p.value for p in delegation.permissions)
    return principal.acting_for(advertiser_org_id, delegation.delegation_id, granted)


def _organization_id(header: str) -> int:
    value = header.strip()
    if not ORGANIZATION_ID.match(value) or int(value) > 2**63 - 1:
        raise InvalidOnBehalf(f"{HEADER} must be the id of an advertiser organization (a positive integer).")
    return int(value)
