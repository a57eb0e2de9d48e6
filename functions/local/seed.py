"""Demo data for `make run`: one organization of each type, one user per role and a small catalogue.

The catalogue is created through the services, so its outbox events sync it to Everflow (the
sandbox, in `make run`) and the dashboards and reports have traffic to show.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from functions.local.outreach_seed import seed_outreach
from shared.db.uow import UnitOfWork
from shared.domain.agency_delegations import Step
from shared.domain.organizations import OrganizationType
from shared.domain.partnerships import AssociationType, Decision
from shared.domain.principal import Actor, Principal, TenantScope
from shared.domain.roles import Role
from shared.intelligence_seed import seed_intelligence
from shared.schemas.advertisers import AdvertiserCreate
from shared.schemas.affiliates import AffiliateCreate
from shared.schemas.agency_delegations import DelegationCreate
from shared.schemas.campaigns import CampaignCreate
from shared.schemas.partnerships import AssociationCreate
from shared.schemas.tracking_links import TrackingLinkCreate
from shared.services.advertisers import create_advertiser
from shared.services.affiliates import create_affiliate
from shared.services.agency_delegations import create_delegation, take_step
from shared.services.associations import create_association, decide_association
from shared.services.campaigns import create_campaign
from shared.services.tracking_links import create_tracking_link

DEMO_PUBLISHERS, DEMO_ADVERTISERS = 2_000, 300
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
    """Create the demo organizations, users and catalogue once; later runs return the existing users."""
    with uow:
        existing = [uow.profiles.principal(demo_user_id(email)) for _, email, _ in USERS]
        if all(existing):
            return [DemoUser(p.user_id, p.email or "", p.role, p.organization_id or 0) for p in existing if p]
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
    _seed_catalogue(uow, {user.role: user for user in users}, org_ids)
    _seed_delegation(uow, {user.role: user for user in users}, org_ids)
    seed_intelligence(DEMO_PUBLISHERS, DEMO_ADVERTISERS)  # generated intelligence data to search
    seed_outreach(uow, _actor(next(u for u in users if u.role is Role.ADVERTISER_MANAGER)), DEMO_PUBLISHERS)
    return users


def _seed_catalogue(uow: UnitOfWork, by_role: dict[Role, DemoUser], org_ids: dict[OrganizationType, int]) -> None:
    """An advertiser with two campaigns, an affiliate in partnership with it and a tracking link for each campaign."""
    advertiser_side, affiliate_side = _actor(by_role[Role.ADVERTISER_MANAGER]), _actor(by_role[Role.AFFILIATE_MANAGER])
    advertiser_org, affiliate_org = org_ids[OrganizationType.ADVERTISER], org_ids[OrganizationType.AFFILIATE]
    # Validated as a client's JSON would be: the schemas are strict about Python-side types.
    advertiser = create_advertiser(AdvertiserCreate.model_validate_json(json.dumps({
        "name": "Demo Outdoor Gear", "organization_id": advertiser_org, "status": "active",
        "contact_email": "partners@outdoor.demo.local"})), uow=uow, actor=advertiser_side)
    campaigns = [create_campaign(CampaignCreate.model_validate_json(json.dumps({
        "organization_id": advertiser_org, "advertiser_id": advertiser.advertiser_id, "name": name,
        "status": "active", "visibility": "public", "destination_url": "https://outdoor.demo.local/landing",
        "payout_type": "cpa", "payout_amount": payout, "revenue_type": "rpa",
        "revenue_amount": payout * 1.6})), uow=uow, actor=advertiser_side)
        for name, payout in (("Summer Tents", 12.5), ("Trail Shoes", 8.0))]
    affiliate = create_affiliate(AffiliateCreate.model_validate_json(json.dumps({
        "name": "Demo Deals Blog", "organization_id": affiliate_org, "status": "active"})),
        uow=uow, actor=affiliate_side)
    invitation = create_association(AssociationCreate(advertiser_org_id=advertiser_org, affiliate_org_id=affiliate_org),
                                    AssociationType.INVITATION, uow=uow, directory=UnitOfWork(TenantScope.everything()),
                                    actor=advertiser_side)
    decide_association(invitation.association_id, Decision.APPROVE, uow=uow, actor=affiliate_side)
    for campaign in campaigns:
        create_tracking_link(TrackingLinkCreate(name=f"{campaign.name} on the blog", campaign_id=campaign.campaign_id,
                                                affiliate_id=affiliate.affiliate_id, sub1="demo"),
                             uow=uow, actor=affiliate_side)


def _seed_delegation(uow: UnitOfWork, by_role: dict[Role, DemoUser], org_ids: dict[OrganizationType, int]) -> None:
    """The demo agency runs the demo advertiser's campaigns and sees its numbers (an accepted delegation)."""
    cmd = DelegationCreate.model_validate_json(json.dumps({
        "agency_org_id": org_ids[OrganizationType.AGENCY], "advertiser_org_id": org_ids[OrganizationType.ADVERTISER],
        "permissions": ["campaign_create", "campaign_manage", "campaign_view", "analytics_view", "analytics_export",
                        "billing_view", "organization_view"],
        "message": "Demo Agency runs our campaigns"}))
    delegation = create_delegation(cmd, uow=uow, directory=UnitOfWork(TenantScope.everything()),
                                   actor=_actor(by_role[Role.ADVERTISER_MANAGER]))
    take_step(delegation.delegation_id, Step.ACCEPT, uow=uow, actor=_actor(by_role[Role.AGENCY_MANAGER]))


def _actor(user: DemoUser) -> Actor:
    return Actor(Principal(user.user_id, user.role, user.organization_id, user.email))
