"""Advertisers: the brands of an advertiser organization whose offers affiliates promote."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from shared.domain.billing import BillingDetails, Problem, billing_details_problems
from shared.domain.errors import Conflict, ValidationFailed
from shared.domain.organizations import Organization, OrganizationStatus, OrganizationType


class AdvertiserStatus(enum.StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    INACTIVE = "inactive"
    REJECTED = "rejected"
    ARCHIVED = "archived"  # set only by archiving; never left


class AttributionMethod(enum.StrEnum):
    LAST_TOUCH = "last_touch"
    FIRST_TOUCH = "first_touch"


class EmailAttributionMethod(enum.StrEnum):
    LAST_AFFILIATE_ATTRIBUTION = "last_affiliate_attribution"
    FIRST_AFFILIATE_ATTRIBUTION = "first_affiliate_attribution"


class AttributionPriority(enum.StrEnum):
    CLICK = "click"
    COUPON_CODE = "coupon_code"


class AdvertiserSort(enum.StrEnum):
    ADVERTISER_ID = "advertiser_id"
    NAME = "name"
    STATUS = "status"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@dataclass(frozen=True)
class Advertiser:
    advertiser_id: int
    organization_id: int
    name: str
    status: AdvertiserStatus
    contact_email: str | None
    billing_details: BillingDetails | None
    internal_notes: str | None
    default_currency_id: str
    platform_name: str | None
    platform_url: str | None
    platform_username: str | None
    accounting_contact_email: str | None
    offer_id_macro: str | None
    affiliate_id_macro: str | None
    attribution_method: AttributionMethod | None
    email_attribution_method: EmailAttributionMethod | None
    attribution_priority: AttributionPriority | None
    reporting_timezone_id: int | None
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = None


@dataclass(frozen=True)
class AdvertiserFilter:
    status: AdvertiserStatus | None = None
    search: str | None = None
    include_archived: bool = False
    sort_by: AdvertiserSort = AdvertiserSort.ADVERTISER_ID
    descending: bool = False


def check_owner(organization: Organization) -> None:
    """Advertisers belong to a live advertiser organization."""
    if organization.type is not OrganizationType.ADVERTISER:
        raise ValidationFailed("The organization cannot hold advertisers.", details=[
            {"field": "organization_id", "location": "body", "type": "value_error",
             "message": f"must be an advertiser organization, not {organization.type.value}"}])
    if organization.status is OrganizationStatus.ARCHIVED:
        raise Conflict(f"Organization {organization.organization_id} is archived.")


def check_editable(advertiser: Advertiser) -> None:
    """An archived advertiser keeps its history and cannot be brought back."""
    if advertiser.status is AdvertiserStatus.ARCHIVED:
        raise Conflict(f"Advertiser {advertiser.advertiser_id} is archived and can no longer be changed.")


def advertiser_problems(billing_details: BillingDetails | None) -> list[Problem]:
    """The rules across fields of an advertiser's settings (each field's own format is checked at the edge)."""
    return billing_details_problems(billing_details) if billing_details is not None else []
