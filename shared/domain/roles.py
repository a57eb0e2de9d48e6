"""The platform's six roles, with the original's ids and names."""

from __future__ import annotations

import enum


class Role(enum.IntEnum):
    ADMIN = 1
    PLATFORM_OWNER = 2
    ADVERTISER_MANAGER = 1000
    AFFILIATE_MANAGER = 1001
    AGENCY_MANAGER = 1002
    USER = 100000

    @property
    def role_name(self) -> str:
        return ROLE_NAMES[self]

    @property
    def crosses_tenants(self) -> bool:
        """Admin and PlatformOwner act on every organization; the others only inside their own."""
        return self in (Role.ADMIN, Role.PLATFORM_OWNER)


ROLE_NAMES = {
    Role.ADMIN: "Admin",
    Role.PLATFORM_OWNER: "PlatformOwner",
    Role.ADVERTISER_MANAGER: "AdvertiserManager",
    Role.AFFILIATE_MANAGER: "AffiliateManager",
    Role.AGENCY_MANAGER: "AgencyManager",
    Role.USER: "User",
}


# Lower is more powerful; the three managers share a rank and differ by the organization they fit.
RANK = {
    Role.ADMIN: 0,
    Role.PLATFORM_OWNER: 1,
    Role.ADVERTISER_MANAGER: 2,
    Role.AFFILIATE_MANAGER: 2,
    Role.AGENCY_MANAGER: 2,
    Role.USER: 3,
}


def outranks_or_equals(role: Role, other: Role) -> bool:
    """Whether `role` is at least as powerful as `other`."""
    return RANK[role] <= RANK[other]
