"""Affiliates: the partners of an affiliate organization that promote advertisers' offers."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from shared.domain.billing import (
    AffiliatePaymentType,
    BillingFrequency,
    BillingSchedule,
    PaymentDetails,
    Problem,
    payment_details_problems,
    schedule_problems,
)
from shared.domain.errors import Conflict, ValidationFailed
from shared.domain.organizations import Organization, OrganizationStatus, OrganizationType


class AffiliateStatus(enum.StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    INACTIVE = "inactive"
    REJECTED = "rejected"
    ARCHIVED = "archived"  # set only by archiving; never left


class AffiliateSort(enum.StrEnum):
    AFFILIATE_ID = "affiliate_id"
    NAME = "name"
    STATUS = "status"
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"


@dataclass(frozen=True)
class ContactAddress:
    """Everflow's partner `contact_address`; `country_code` is ISO 3166-1 alpha-2."""

    address_1: str
    city: str
    country_code: str
    address_2: str | None = None
    region_code: str | None = None
    zip_postal_code: str | None = None


@dataclass(frozen=True)
class AffiliateBillingInfo:
    """Everflow's partner `billing` block: frequency, payment type, schedule details and payee fields (text)."""

    billing_frequency: BillingFrequency | None = None
    payment_type: AffiliatePaymentType | None = None
    tax_id: str | None = None
    details: BillingSchedule | None = None
    payment: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Affiliate:
    affiliate_id: int
    organization_id: int
    name: str
    status: AffiliateStatus
    contact_email: str | None
    payment_details: PaymentDetails | None
    internal_notes: str | None
    default_currency_id: str
    contact_address: ContactAddress | None
    billing_info: AffiliateBillingInfo | None
    labels: list[str]
    invoice_amount_threshold_cents: int | None
    default_payment_terms: int | None
    version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None = None


@dataclass(frozen=True)
class AffiliateFilter:
    status: AffiliateStatus | None = None
    search: str | None = None
    include_archived: bool = False
    sort_by: AffiliateSort = AffiliateSort.AFFILIATE_ID
    descending: bool = False


def check_owner(organization: Organization) -> None:
    """Affiliates belong to a live affiliate organization."""
    if organization.type is not OrganizationType.AFFILIATE:
        raise ValidationFailed("The organization cannot hold affiliates.", details=[
            {"field": "organization_id", "location": "body", "type": "value_error",
             "message": f"must be an affiliate organization, not {organization.type.value}"}])
    if organization.status is OrganizationStatus.ARCHIVED:
        raise Conflict(f"Organization {organization.organization_id} is archived.")


def check_editable(affiliate: Affiliate) -> None:
    """An archived affiliate keeps its history and cannot be brought back."""
    if affiliate.status is AffiliateStatus.ARCHIVED:
        raise Conflict(f"Affiliate {affiliate.affiliate_id} is archived and can no longer be changed.")


def affiliate_problems(payment_details: PaymentDetails | None,
                       billing_info: AffiliateBillingInfo | None) -> list[Problem]:
    """The rules across fields of an affiliate's payment and billing settings."""
    problems = payment_details_problems(payment_details, "payment_details") if payment_details else []
    if billing_info is not None:
        problems += schedule_problems(billing_info.billing_frequency, billing_info.details, "billing_info.details")
    return problems


def normalized_labels(labels: list[str]) -> list[str]:
    """Labels without surrounding blanks or repeats, in the order given."""
    return list(dict.fromkeys(label.strip() for label in labels))
