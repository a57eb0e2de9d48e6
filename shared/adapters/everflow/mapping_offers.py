"""Everflow offer bodies from our campaigns (contract §2.3)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from shared.adapters.everflow.mapping_defaults import EverflowDefaults, Json, json_number
from shared.adapters.everflow.mapping_merge import compose
from shared.adapters.everflow.mapping_partners import identity_label, labels
from shared.domain.campaign_terms import payout_revenue_entry
from shared.domain.campaigns import Campaign, CampaignStatus
from shared.domain.errors import Conflict
from shared.domain.provider_mappings import EntityKind

# Everflow's offer statuses are active|paused|pending|deleted. A draft must not take traffic and an
# archived campaign is gone for good: neither ever becomes an active offer.
OFFER_STATUSES: dict[CampaignStatus, str] = {
    CampaignStatus.DRAFT: "paused",
    CampaignStatus.ACTIVE: "active",
    CampaignStatus.PAUSED: "paused",
    CampaignStatus.ARCHIVED: "deleted",
}
CAP_FIELDS = tuple(f"{period}_{kind}_cap" for period in ("daily", "weekly", "monthly", "global")
                   for kind in ("conversion", "click"))
OFFER_FIELDS = frozenset({
    "network_advertiser_id", "name", "destination_url", "offer_status", "currency_id", "visibility",
    "conversion_method", "session_definition", "session_duration", "terms_and_conditions",
    "is_using_explicit_terms_and_conditions", "date_live_until", "html_description", "preview_url",
    "thumbnail_url", "internal_notes", "is_caps_enabled", *CAP_FIELDS, "network_tracking_domain_id",
    "labels", "payout_revenue",
})


def offer_payload(campaign: Campaign, *, network_advertiser_id: int, defaults: EverflowDefaults,
                  existing: Json | None = None) -> Json:
    """The create body, or with `existing` (Everflow's GET answer) the full-replacement update body.

    A campaign without a destination URL keeps the offer's current one; a new offer cannot do
    without, so creating one for such a campaign is a Conflict.
    """
    managed = _offer_fields(campaign, network_advertiser_id, defaults)
    defaulted = {"network_tracking_domain_id": defaults.tracking_domain_id}
    body = compose(EntityKind.CAMPAIGN, managed, defaulted, existing)
    if not body.get("destination_url"):
        raise Conflict(f"Campaign {campaign.campaign_id} has no destination URL; "
                       "Everflow needs one before the offer can be created.")
    return body


def _offer_fields(campaign: Campaign, network_advertiser_id: int, defaults: EverflowDefaults) -> Json:
    terms = campaign.terms_and_conditions or ""
    fields: Json = {
        "network_advertiser_id": network_advertiser_id,
        "name": campaign.name,
        "offer_status": OFFER_STATUSES[campaign.status],
        "currency_id": campaign.currency_id or defaults.currency_id,
        "visibility": campaign.visibility.value,
        "conversion_method": campaign.conversion_method.value,
        "session_definition": campaign.session_definition.value,
        "session_duration": campaign.session_duration,
        "terms_and_conditions": terms,
        "is_using_explicit_terms_and_conditions": bool(terms.strip()),
        "date_live_until": campaign.end_date.isoformat() if campaign.end_date else "",
        "html_description": campaign.description or "",
        "preview_url": campaign.preview_url or "",
        "thumbnail_url": campaign.thumbnail_url or "",
        "internal_notes": campaign.internal_notes or "",
        "is_caps_enabled": campaign.is_caps_enabled,
        **{name: getattr(campaign, name) or 0 for name in CAP_FIELDS},  # 0: no cap
        "labels": labels([identity_label(defaults, "campaign", campaign.campaign_id),
                          identity_label(defaults, "organization", campaign.organization_id)]),
        "payout_revenue": [_json_entry(payout_revenue_entry(campaign))],
    }
    if campaign.destination_url:
        fields["destination_url"] = campaign.destination_url
    return fields


def _json_entry(entry: dict[str, Any]) -> Json:
    """The domain's entry with its exact Decimals as exact JSON numbers."""
    return {key: json_number(value) if isinstance(value, Decimal) else value for key, value in entry.items()}
