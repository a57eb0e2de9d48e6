"""Everflow advertiser and affiliate (partner) bodies from our entities (contract §2.1, §2.2).

Entity values are ours and always written (a cleared text becomes ""); configured defaults only fill
what neither the entity nor Everflow has. No users, addresses or verification tokens are made up.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.adapters.everflow.mapping_billing import (
    advertiser_address,
    advertiser_billing,
    affiliate_address,
    affiliate_billing,
)
from shared.adapters.everflow.mapping_defaults import EverflowDefaults, Json, present
from shared.adapters.everflow.mapping_merge import compose
from shared.domain.advertisers import Advertiser, AdvertiserStatus
from shared.domain.affiliates import Affiliate, AffiliateStatus
from shared.domain.organizations import Organization
from shared.domain.provider_mappings import EntityKind

# Everflow writes advertisers as active|inactive|suspended; "suspended" is left to network staff.
ADVERTISER_STATUSES: dict[AdvertiserStatus, str] = {
    AdvertiserStatus.ACTIVE: "active",
    AdvertiserStatus.PENDING: "inactive",
    AdvertiserStatus.INACTIVE: "inactive",
    AdvertiserStatus.REJECTED: "inactive",
    AdvertiserStatus.ARCHIVED: "inactive",
}
# Affiliates can only be written active|inactive ("affiliates cannot be suspended via this API").
AFFILIATE_STATUSES: dict[AffiliateStatus, str] = {
    AffiliateStatus.ACTIVE: "active",
    AffiliateStatus.PENDING: "inactive",
    AffiliateStatus.INACTIVE: "inactive",
    AffiliateStatus.REJECTED: "inactive",
    AffiliateStatus.ARCHIVED: "inactive",
}
ADVERTISER_FIELDS = frozenset({
    "name", "account_status", "network_employee_id", "default_currency_id", "reporting_timezone_id",
    "attribution_method", "email_attribution_method", "attribution_priority", "internal_notes",
    "platform_name", "platform_url", "platform_username", "accounting_contact_email", "offer_id_macro",
    "affiliate_id_macro", "labels", "billing", "is_contact_address_enabled", "contact_address",
})
AFFILIATE_FIELDS = frozenset({
    "name", "account_status", "network_employee_id", "default_currency_id", "internal_notes", "labels",
    "billing", "is_contact_address_enabled", "contact_address",
})


def identity_label(defaults: EverflowDefaults, kind: str, entity_id: int) -> str:
    """The label that finds our entity in Everflow whatever its name: `abp:advertiser:42`."""
    return f"{defaults.label_prefix}:{kind}:{entity_id}"


def labels(*groups: Iterable[str]) -> list[str]:
    """Labels in order, trimmed, without blanks or repeats."""
    return list(dict.fromkeys(label.strip() for group in groups for label in group if label.strip()))


def _owner_labels(defaults: EverflowDefaults, kind: str, entity_id: int, organization: Organization) -> list[str]:
    return [identity_label(defaults, kind, entity_id),
            identity_label(defaults, "organization", organization.organization_id), organization.name]


def advertiser_payload(advertiser: Advertiser, organization: Organization, defaults: EverflowDefaults, *,
                       existing: Json | None = None) -> Json:
    """The create body, or with `existing` (Everflow's GET answer) the full-replacement update body."""
    billing = advertiser.billing_details
    managed = {
        "name": advertiser.name,
        "account_status": ADVERTISER_STATUSES[advertiser.status],
        "default_currency_id": advertiser.default_currency_id or defaults.currency_id,
        "internal_notes": advertiser.internal_notes or "",
        "platform_name": advertiser.platform_name or "",
        "platform_url": advertiser.platform_url or "",
        "platform_username": advertiser.platform_username or "",
        "accounting_contact_email": advertiser.accounting_contact_email or "",
        "labels": labels(_owner_labels(defaults, "advertiser", advertiser.advertiser_id, organization)),
        **advertiser_address(billing.address if billing else None),
        **_advertiser_settings(advertiser),
    }
    if billing is not None:
        managed["billing"] = advertiser_billing(billing, defaults)
    return compose(EntityKind.ADVERTISER, managed, _advertiser_defaults(defaults), existing)


def _advertiser_settings(advertiser: Advertiser) -> Json:
    """Settings the advertiser may leave unset (then Everflow's value or the default stays)."""
    return present({
        "reporting_timezone_id": advertiser.reporting_timezone_id,
        "attribution_method": _value(advertiser.attribution_method),
        "email_attribution_method": _value(advertiser.email_attribution_method),
        "attribution_priority": _value(advertiser.attribution_priority),
        "offer_id_macro": advertiser.offer_id_macro or None,
        "affiliate_id_macro": advertiser.affiliate_id_macro or None,
    })


def _advertiser_defaults(defaults: EverflowDefaults) -> Json:
    return {
        "network_employee_id": defaults.network_employee_id,
        "reporting_timezone_id": defaults.timezone_id,
        "attribution_method": defaults.attribution_method.value,
        "email_attribution_method": defaults.email_attribution_method.value,
        "attribution_priority": defaults.attribution_priority.value,
        "offer_id_macro": defaults.offer_id_macro,
        "affiliate_id_macro": defaults.affiliate_id_macro,
        "billing": {"billing_frequency": defaults.billing_frequency.value, "details": {}},
    }


def affiliate_payload(affiliate: Affiliate, organization: Organization, defaults: EverflowDefaults, *,
                      existing: Json | None = None) -> Json:
    """The create body, or with `existing` (Everflow's GET answer) the full-replacement update body."""
    owner = _owner_labels(defaults, "affiliate", affiliate.affiliate_id, organization)
    managed = {
        "name": affiliate.name,
        "account_status": AFFILIATE_STATUSES[affiliate.status],
        "default_currency_id": affiliate.default_currency_id or defaults.currency_id,
        "internal_notes": affiliate.internal_notes or "",
        "labels": labels(owner, affiliate.labels),
        **affiliate_address(affiliate.contact_address),
    }
    billing = affiliate_billing(affiliate, defaults)
    if billing is not None:
        managed["billing"] = billing
    defaulted = {
        "network_employee_id": defaults.network_employee_id,
        "billing": {"billing_frequency": defaults.billing_frequency.value, "payment_type": "none", "details": {}},
    }
    return compose(EntityKind.AFFILIATE, managed, defaulted, existing)


def _value(member: str | None) -> str | None:
    """An enum member's plain value (StrEnum members are str), None kept."""
    return None if member is None else str(member)
