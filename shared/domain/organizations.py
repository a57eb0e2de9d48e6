"""Organizations: the tenants of the platform."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class OrganizationType(enum.StrEnum):
    ADVERTISER = "advertiser"
    AFFILIATE = "affiliate"
    AGENCY = "agency"
    PLATFORM_OWNER = "platform_owner"


class OrganizationStatus(enum.StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class WebsiteType(enum.StrEnum):
    SHOPIFY = "shopify"
    AMAZON = "amazon"
    SHOPLINE = "shopline"
    TIKTOK_SHOP = "tiktok_shop"
    OTHER = "other"


class CompanySize(enum.StrEnum):
    STARTUP = "startup"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"
    ENTERPRISE = "enterprise"


class AffiliateType(enum.StrEnum):
    CASHBACK = "cashback"
    BLOG = "blog"
    INCENTIVE = "incentive"
    CONTENT = "content"
    FORUM = "forum"
    SUB_AFFILIATE_NETWORK = "sub_affiliate_network"
    OTHER = "other"


@dataclass(frozen=True)
class AdvertiserExtraInfo:
    website: str | None = None
    website_type: WebsiteType | None = None
    company_size: CompanySize | None = None


@dataclass(frozen=True)
class AffiliateExtraInfo:
    website: str | None = None
    affiliate_type: AffiliateType | None = None
    self_description: str | None = None
    logo_url: str | None = None


ExtraInfo = AdvertiserExtraInfo | AffiliateExtraInfo


@dataclass(frozen=True)
class Organization:
    organization_id: int
    name: str
    type: OrganizationType
    status: OrganizationStatus
    contact_email: str | None
    description: str | None
    created_at: datetime
    updated_at: datetime
    extra_info: ExtraInfo | None = None


def extra_info_kind(org_type: OrganizationType) -> type[ExtraInfo] | None:
    """Which extra information an organization of this type carries, if any."""
    return {
        OrganizationType.ADVERTISER: AdvertiserExtraInfo,
        OrganizationType.AFFILIATE: AffiliateExtraInfo,
    }.get(org_type)
