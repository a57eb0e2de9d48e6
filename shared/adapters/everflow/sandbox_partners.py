"""Advertiser and affiliate bodies as Everflow checks them (contract §2.1, §2.2), turned into stored records.

A record holds every field with its default filled in, so a PUT that omits a field resets it:
Everflow's full-replacement semantics fall out of parsing the body afresh.
"""

from __future__ import annotations

import re

from shared.adapters.everflow.sandbox_fields import (
    Json,
    bad_request,
    boolean,
    choice,
    integer,
    mapping,
    objects,
    strings,
    text,
)

ADVERTISER_STATUSES = frozenset({"active", "inactive", "suspended"})
AFFILIATE_STATUSES = frozenset({"active", "inactive"})  # "affiliates cannot be suspended via this API"
USER_STATUSES = frozenset({"active", "inactive"})
ATTRIBUTION_METHODS = frozenset({"last_touch", "first_touch"})
EMAIL_ATTRIBUTION_METHODS = frozenset({"last_affiliate_attribution", "first_affiliate_attribution"})
ATTRIBUTION_PRIORITIES = frozenset({"click", "coupon_code"})
BILLING_FREQUENCIES = frozenset({"weekly", "bimonthly", "monthly", "two_months", "quarterly", "manual", "other"})
PAYMENT_TYPES = frozenset({
    "none", "pay", "paypal", "check", "wire", "direct_deposit", "tipalti", "paxum", "veem", "payoneer",
    "bitcoin", "webmoney", "capitalist", "transferwise", "gift_card", "masspay", "skrill",
})
ADDRESS_FIELDS = ("address_1", "city", "region_code", "country_code", "zip_postal_code")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_PASSWORD_RULES = (re.compile(r"[a-z]"), re.compile(r"[A-Z]"), re.compile(r"[^A-Za-z0-9]"))


def currency(body: Json, name: str, *, required: bool = False, default: str = "USD") -> str:
    value = text(body, name, required=required, default=default)
    if not _CURRENCY.match(value):
        raise bad_request(f"{name} must be an ISO 4217 code such as USD")
    return value


def parse_advertiser(body: Json, *, strict: bool) -> Json:
    """The stored advertiser: the four documented required fields, the rest only in strict mode."""
    enabled = boolean(body, "is_contact_address_enabled")
    exposed = body.get("is_expose_publisher_reporting_data")
    if exposed is not None and not isinstance(exposed, bool):
        raise bad_request("is_expose_publisher_reporting_data must be a boolean")
    return {
        "name": text(body, "name", required=True),
        "account_status": choice(body, "account_status", ADVERTISER_STATUSES, required=True),
        "network_employee_id": integer(body, "network_employee_id", required=True),
        "default_currency_id": currency(body, "default_currency_id", required=True),
        "reporting_timezone_id": integer(body, "reporting_timezone_id", required=strict),
        **_attribution(body, strict=strict),
        "attribution_priority": choice(body, "attribution_priority", ATTRIBUTION_PRIORITIES,
                                       required=strict, default="click"),
        "internal_notes": text(body, "internal_notes"),
        "address_id": integer(body, "address_id"),
        "is_contact_address_enabled": enabled,
        "sales_manager_id": integer(body, "sales_manager_id"),
        "is_expose_publisher_reporting_data": exposed,
        **{name: text(body, name) for name in ("platform_name", "platform_url", "platform_username")},
        "accounting_contact_email": text(body, "accounting_contact_email"),
        "verification_token": text(body, "verification_token", max_length=50),
        "offer_id_macro": text(body, "offer_id_macro", default="oid"),
        "affiliate_id_macro": text(body, "affiliate_id_macro", default="affid"),
        "labels": strings(body, "labels"),
        "users": _users(body, limit=1, strict_user=True),
        "billing": _billing(body, required=strict, payment=False),
        "settings": mapping(body, "settings") or {},
        "contact_address": _contact_address(body, enabled, required_fields=ADDRESS_FIELDS),
    }


def parse_affiliate(body: Json, *, strict: bool) -> Json:
    """The stored affiliate; Everflow strictly needs only `name` (strict mode adds RB's and TF's extras)."""
    enabled = boolean(body, "is_contact_address_enabled")
    address = body.get("adress_id", body.get("address_id"))  # the real API spells it `adress_id`
    return {
        "name": text(body, "name", required=True),
        "account_status": choice(body, "account_status", AFFILIATE_STATUSES, required=strict, default="active"),
        "network_employee_id": integer(body, "network_employee_id", required=strict),
        "internal_notes": text(body, "internal_notes"),
        "has_notifications": True,
        "network_traffic_source_id": integer(body, "network_traffic_source_id"),
        "account_executive_id": integer(body, "account_executive_id"),
        "adress_id": integer({"adress_id": address}, "adress_id"),
        "default_currency_id": currency(body, "default_currency_id", required=strict),
        "is_contact_address_enabled": enabled,
        "enable_media_cost_tracking_links": boolean(body, "enable_media_cost_tracking_links"),
        "referrer_id": integer(body, "referrer_id"),
        "network_affiliate_tier_id": integer(body, "network_affiliate_tier_id"),
        "labels": strings(body, "labels"),
        "users": _users(body, limit=None, strict_user=False),
        "billing": _billing(body, required=strict, payment=True),
        "contact_address": _contact_address(body, enabled, required_fields=()),
    }


def _attribution(body: Json, *, strict: bool) -> Json:
    return {
        "attribution_method": choice(body, "attribution_method", ATTRIBUTION_METHODS,
                                     required=strict, default="last_touch"),
        "email_attribution_method": choice(body, "email_attribution_method", EMAIL_ATTRIBUTION_METHODS,
                                           required=strict, default="last_affiliate_attribution"),
    }


def _users(body: Json, *, limit: int | None, strict_user: bool) -> list[Json]:
    users = objects(body, "users")
    if limit is not None and len(users) > limit:
        raise bad_request(f"users accepts at most {limit} user")
    return [_user(user, f"users[{index}].", strict_user) for index, user in enumerate(users)]


def _user(user: Json, where: str, strict_user: bool) -> Json:
    password = text(user, "initial_password", where=where)
    if password and (len(password) < 8 or not all(rule.search(password) for rule in _PASSWORD_RULES)):
        raise bad_request(f"{where}initial_password must have 8 characters, upper and lower case and a symbol")
    return {  # the password is write-only: never stored, never echoed
        "first_name": text(user, "first_name", required=True, where=where),
        "last_name": text(user, "last_name", required=True, where=where),
        "email": text(user, "email", required=True, where=where).lower(),
        "account_status": choice(user, "account_status", USER_STATUSES, required=True, where=where),
        "language_id": integer(user, "language_id", required=strict_user, default=1, where=where),
        "timezone_id": integer(user, "timezone_id", required=strict_user, where=where),
        "currency_id": text(user, "currency_id", required=strict_user, default="USD", where=where),
        **{name: text(user, name, where=where) for name in ("title", "work_phone", "cell_phone")},
    }


def _billing(body: Json, *, required: bool, payment: bool) -> Json:
    billing = mapping(body, "billing")
    if billing is None:
        if required:
            raise bad_request("billing is required")
        return {}
    choice(billing, "billing_frequency", BILLING_FREQUENCIES, where="billing.")
    if payment:
        choice(billing, "payment_type", PAYMENT_TYPES, where="billing.")
    return dict(billing)


def _contact_address(body: Json, enabled: bool, *, required_fields: tuple[str, ...]) -> Json:
    address = mapping(body, "contact_address")
    if not enabled:
        return address or {}
    if address is None:
        raise bad_request("contact_address is required when is_contact_address_enabled is true")
    for name in required_fields:
        text(address, name, required=True, where="contact_address.")
    return dict(address)

