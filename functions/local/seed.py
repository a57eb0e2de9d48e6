"""Demo data for `make run`: one organization of each type and one user per role."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared.db.uow import UnitOfWork
from shared.domain.organizations import OrganizationType
from shared.domain.roles import Role

DEMO_NAMESPACE = uuid.UUID("5d0f3a4e-8f0e-4c4b-9a57-2f1d1c0de001")
ORGANIZATIONS = {
    OrganizationType.PLATFORM_OWNER: "Demo Platform",
    OrganizationType.ADVERTISER: "Demo Advertiser",
    OrganizationType.AFFILIATE: "Demo Affiliate Network",
    OrganizationType.AGENCY: "Demo Agency",
}
USERS = (
    (Role.ADMIN, "admin@demo.local", OrganizationType.PLATFORM_OWNER),
    (Role.PLATFORM_OWNER, "owner@demo.local", OrganizationType.PLATFORM_OWNER),
    (Role.ADVERTISER_MANAGER, "advertiser@demo.local", OrganizationType.ADVERTISER),
    (Role.AFFILIATE_MANAGER, "affiliate@demo.local", OrganizationType.AFFILIATE),
    (Role.AGENCY_MANAGER, "agency@demo.local", OrganizationType.AGENCY),
    (Role.USER, "user@demo.local", OrganizationType.ADVERTISER),
)


@dataclass(frozen=True)
class DemoUser:
    user_id: uuid.UUID
    email: str
    role: Role
    organization_id: int


def demo_user_id(email: str) -> uuid.UUID:
    """Stable ids, so a token printed by one run still names the same user in the next."""
    return uuid.uuid5(DEMO_NAMESPACE, email)


def seed_demo_data(uow: UnitOfWork) -> list[DemoUser]:
    """Create the demo organizations and users once; later runs return the existing ones."""
    with uow:
        existing = [uow.profiles.principal(demo_user_id(email)) for _, email, _ in USERS]
        if all(existing):
            users = [DemoUser(p.user_id, p.email or "", p.role, p.organization_id or 0) for p in existing if p]
        else:
            org_ids = {
                org_type: uow.organizations.add(name, org_type, f"hello@{org_type.value}.demo.local", None)
                .organization_id
                for org_type, name in ORGANIZATIONS.items()
            }
            users = [DemoUser(demo_user_id(email), email, role, org_ids[t]) for role, email, t in USERS]
            for user in users:
                uow.profiles.add(user.user_id, {"email": user.email, "role_id": user.role,
                                                "organization_id": user.organization_id})
        uow.commit()
    return users
