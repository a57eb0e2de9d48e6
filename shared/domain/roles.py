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
