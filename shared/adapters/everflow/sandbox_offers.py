"""Offer bodies as Everflow checks them (contract §2.3), turned into stored records with defaults filled in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from shared.adapters.everflow.sandbox_fields import (
    Json,
    bad_request,
    boolean,
    choice,
    integer,
    number,
    objects,
    strings,
    text,
)
from shared.adapters.everflow.sandbox_partners import ATTRIBUTION_METHODS, EMAIL_ATTRIBUTION_METHODS, currency

OFFER_STATUSES = frozenset({"active", "paused", "pending", "deleted"})
VISIBILITIES = frozenset({"public", "require_approval", "private"})
CONVERSION_METHODS = frozenset({
    "server_postback", "http_image_pixel", "https_image_pixel", "cookie_based", "http_iframe_pixel",
    "https_iframe_pixel", "javascript", "html_pixel_cookie_based",
})
REDIRECT_MODES = frozenset({"standard", "single_meta_refresh", "double_meta_refresh", "seo_friendly"})
SESSION_DEFINITIONS = frozenset({"cookie", "ip", "ip_user_agent", "google_ad_id", "idfa"})
DUPLICATE_ACTIONS = frozenset({"block", "fail_traffic", "unknown"})
SCRUB_STATUSES = frozenset({"rejected", "pending"})
PAYOUT_TYPES = frozenset({
    "cpc", "cpa", "cpm", "cps", "cpa_cps", "prv", "cpa_sku", "cps_sku", "cpa_cps_sku", "prv_sku",
})
REVENUE_TYPES = frozenset({"rpc", "rpa", "rpm", "rps", "rpa_rps", "rpa_sku", "rps_sku", "rpa_rps_sku"})

TEXT_FIELDS = (
    "preview_url", "thumbnail_url", "server_side_url", "view_through_destination_url", "internal_notes",
    "html_description", "terms_and_conditions", "project_id", "app_identifier", "already_converted_action",
)
ID_FIELDS = ("network_category_id", "network_offer_group_id", "caps_timezone_id")
CAP_FIELDS = tuple(f"{period}_{kind}_cap" for period in ("daily", "weekly", "monthly", "global")
                   for kind in ("conversion", "payout", "revenue", "click"))
FLAG_FIELDS = (
    "is_caps_enabled", "is_duplicate_filter_enabled", "is_use_scrub_rate", "is_use_secure_link",
    "is_allow_deep_link", "is_use_direct_linking", "is_view_through_enabled", "is_session_tracking_enabled",
    "is_block_already_converted", "is_whitelist_check_enabled", "is_using_explicit_terms_and_conditions",
    "is_force_terms_and_conditions", "is_description_plain_text", "is_fail_traffic_enabled",
)
# Kept as sent and echoed back; the sandbox does not model targeting, creatives or e-mail settings.
NESTED_FIELDS = (
    "ruleset", "traffic_filters", "creatives", "internal_redirects", "channels", "requirement_kpis",
    "requirement_tracking_parameters", "meta", "email", "email_optout", "integrations", "thumbnail_file",
    "source_names",
)


def parse_offer(body: Json, *, strict: bool, tracking_domains: Collection[int], default_domain: int) -> Json:
    """The stored offer; `network_advertiser_id` must also name a stored advertiser (checked by the caller)."""
    domain = integer(body, "network_tracking_domain_id", required=strict, default=default_domain)
    if domain not in tracking_domains:
        raise bad_request("network_tracking_domain_id is not a tracking domain of this network")
    return {
        "network_advertiser_id": integer(body, "network_advertiser_id", required=True, minimum=1),
        "name": text(body, "name", required=True),
        "destination_url": text(body, "destination_url", required=True),
        "offer_status": choice(body, "offer_status", OFFER_STATUSES, required=True),
        "currency_id": currency(body, "currency_id", required=strict),
        "network_tracking_domain_id": domain,
        **_settings(body),
        **{name: text(body, name) for name in TEXT_FIELDS},
        "date_live_until": _date(body, "date_live_until"),
        **{name: integer(body, name) for name in ID_FIELDS + CAP_FIELDS},
        **{name: boolean(body, name) for name in FLAG_FIELDS},
        "labels": strings(body, "labels"),
        "payout_revenue": payout_revenue(body, strict=strict),
        **{name: body[name] for name in NESTED_FIELDS if body.get(name) is not None},
    }


def _settings(body: Json) -> Json:
    return {
        "conversion_method": choice(body, "conversion_method", CONVERSION_METHODS, default="server_postback"),
        "visibility": choice(body, "visibility", VISIBILITIES, default="public"),
        "redirect_mode": choice(body, "redirect_mode", REDIRECT_MODES, default="standard"),
        "session_definition": choice(body, "session_definition", SESSION_DEFINITIONS, default="cookie"),
        "session_duration": integer(body, "session_duration", default=24),
        "attribution_method": choice(body, "attribution_method", ATTRIBUTION_METHODS, default="last_touch"),
        "email_attribution_method": choice(body, "email_attribution_method", EMAIL_ATTRIBUTION_METHODS,
                                           default="last_affiliate_attribution"),
        "duplicate_filter_targeting_action": choice(body, "duplicate_filter_targeting_action", DUPLICATE_ACTIONS),
        "scrub_rate_status": choice(body, "scrub_rate_status", SCRUB_STATUSES),
        "scrub_rate_percentage": int(number(body, "scrub_rate_percentage", maximum=100)),
    }


def _date(body: Json, name: str) -> str:
    value = text(body, name)
    if value:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise bad_request(f"{name} must be a date as YYYY-MM-DD") from None
    return value


def payout_revenue(body: Json, *, strict: bool) -> list[Json]:
    """At least one entry, exactly one of them the default (contract §2.3, TF)."""
    entries = objects(body, "payout_revenue")
    if not entries:
        raise bad_request("payout_revenue is required")
    parsed = [_entry(entry, f"payout_revenue[{index}].", strict) for index, entry in enumerate(entries)]
    if sum(entry["is_default"] for entry in parsed) != 1:
        raise bad_request("payout_revenue must have exactly one entry with is_default true")
    return parsed


def _entry(entry: Json, where: str, strict: bool) -> Json:
    return {
        "entry_name": text(entry, "entry_name", default="Base", where=where),
        "payout_type": choice(entry, "payout_type", PAYOUT_TYPES, required=True, where=where),
        "payout_amount": number(entry, "payout_amount", where=where),
        "payout_percentage": number(entry, "payout_percentage", maximum=100, where=where),
        "revenue_type": choice(entry, "revenue_type", REVENUE_TYPES, required=True, where=where),
        "revenue_amount": number(entry, "revenue_amount", where=where),
        "revenue_percentage": number(entry, "revenue_percentage", maximum=100, where=where),
        "is_default": boolean(entry, "is_default", required=True, where=where),
        "is_private": boolean(entry, "is_private", required=strict, where=where),
        "is_postback_disabled": boolean(entry, "is_postback_disabled", where=where),
        "is_must_approve_conversion": boolean(entry, "is_must_approve_conversion", where=where),
        "is_allow_duplicate_conversion": boolean(entry, "is_allow_duplicate_conversion", default=True, where=where),
        "global_advertiser_event_id": integer(entry, "global_advertiser_event_id", where=where),
    }


def default_entry(offer: Json) -> Json:
    """The offer's default payout/revenue entry."""
    return next(entry for entry in offer["payout_revenue"] if entry["is_default"])

