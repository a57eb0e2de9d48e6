"""The access policy: which roles may perform each action. Tenant scope is applied by the services."""

from __future__ import annotations

from shared.domain.errors import Forbidden
from shared.domain.principal import Principal
from shared.domain.roles import Role

EVERYONE = frozenset(Role)
CROSS_TENANT = frozenset({Role.ADMIN, Role.PLATFORM_OWNER})
MANAGERS = CROSS_TENANT | {Role.ADVERTISER_MANAGER, Role.AFFILIATE_MANAGER, Role.AGENCY_MANAGER}

POLICY: dict[str, frozenset[Role]] = {
    "organizations.create": EVERYONE,
    "organizations.list": EVERYONE,
    "organizations.read": EVERYONE,
    "organizations.update": MANAGERS,
    "organizations.archive": CROSS_TENANT,
}


def authorize(principal: Principal, action: str) -> None:
    """403 unless the principal's role may perform the action; unknown actions are denied."""
    if principal.role not in POLICY.get(action, frozenset()):
        raise Forbidden("Your role may not perform this action.")
