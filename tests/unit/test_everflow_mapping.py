"""Everflow payloads from our entities, and Everflow answers back: statuses, money, billing, labels, updates."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.everflow.errors import EverflowError
from shared.adapters.everflow.mapping import (
    MANAGED_FIELDS,
    EverflowDefaults,
    Severity,
    advertiser_payload,
    affiliate_payload,
    compare,
    defaults_from_settings,
    mapping_data,
    offer_payload,
    provider_id,
    relationships_for_update,
)
from shared.adapters.everflow.mapping_defaults import json_number
from shared.adapters.everflow.sandbox_offers import parse_offer
from shared.adapters.everflow.sandbox_partners import parse_advertiser, parse_affiliate
from shared.config import Settings, SettingsError
from shared.domain.advertisers import Advertiser, AdvertiserStatus, AttributionMethod
from shared.domain.affiliates import Affiliate, AffiliateBillingInfo, AffiliateStatus, ContactAddress
from shared.domain.billing import (
    AffiliatePaymentType,
    BillingAddress,
    BillingDetails,
    BillingFrequency,
    BillingSchedule,
    PaymentDetails,
    PaymentType,
)
from shared.domain.campaign_terms import PayoutType, RevenueType
from shared.domain.campaigns import Campaign, CampaignStatus
from shared.domain.errors import Conflict
from shared.domain.organizations import Organization, OrganizationStatus, OrganizationType
from shared.domain.provider_mappings import EntityKind

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "everflow"
NOW = datetime(2025, 5, 1, tzinfo=UTC)
DEFAULTS = EverflowDefaults(network_employee_id=7, tracking_domain_id=3, timezone_id=80)
ORG = Organization(42, "Acme Outdoor", OrganizationType.ADVERTISER, OrganizationStatus.ACTIVE, None, None, NOW, NOW)
ADVERTISER = Advertiser(
    advertiser_id=11, organization_id=42, name="Acme Outdoor Gear", status=AdvertiserStatus.ACTIVE,
    contact_email="ops@acme.example", billing_details=None, internal_notes="Key account", default_currency_id="EUR",
    platform_name="Shopify", platform_url="https://acme.example", platform_username=None,
    accounting_contact_email="billing@acme.example", offer_id_macro=None, affiliate_id_macro=None,
    attribution_method=None, email_attribution_method=None, attribution_priority=None, reporting_timezone_id=None,
    version=1, created_at=NOW, updated_at=NOW)
AFFILIATE = Affiliate(
    affiliate_id=21, organization_id=43, name="Trail Reviews", status=AffiliateStatus.ACTIVE, contact_email=None,
    payment_details=None, internal_notes=None, default_currency_id="USD", contact_address=None, billing_info=None,
    labels=[" content ", "content", "reviews"], invoice_amount_threshold_cents=None, default_payment_terms=None,
    version=1, created_at=NOW, updated_at=NOW)
CAMPAIGN = Campaign(
    campaign_id=31, organization_id=42, advertiser_id=11, name="Spring Sale", status=CampaignStatus.ACTIVE,
    destination_url="https://acme.example/spring?tid={transaction_id}", payout_type=PayoutType.CPA,
    payout_amount_cents=1234, revenue_type=RevenueType.RPA, revenue_amount_cents=2000, version=1,
    created_at=NOW, updated_at=NOW)
AFF_ORG = Organization(43, "Trail Media", OrganizationType.AFFILIATE, OrganizationStatus.ACTIVE, None, None, NOW,
                       NOW)
ADDRESS = BillingAddress(line1="4110 Rue St-Laurent", city="Montreal", state="QC", postal_code="H2R 0A1",
                         country="ca")


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def on_the_wire(payload: dict[str, Any]) -> dict[str, Any]:
    """What Everflow receives: the client writes payloads with the standard json module."""
    data: dict[str, Any] = json.loads(json.dumps(payload))
    return data


def offer(campaign: Campaign = CAMPAIGN, existing: dict[str, Any] | None = None) -> dict[str, Any]:
    return offer_payload(campaign, network_advertiser_id=501, defaults=DEFAULTS, existing=existing)


# Configured defaults


def test_defaults_come_from_settings() -> None:
    settings = Settings(everflow_network_employee_id=9, everflow_tracking_domain_id=4, everflow_timezone_id=58,
                        everflow_default_currency_id="CAD", everflow_offer_id_macro="o")
    defaults = defaults_from_settings(settings)
    assert (defaults.network_employee_id, defaults.tracking_domain_id, defaults.timezone_id) == (9, 4, 58)
    assert (defaults.currency_id, defaults.offer_id_macro, defaults.affiliate_id_macro) == ("CAD", "o", "affid")


def test_missing_defaults_name_every_missing_setting() -> None:
    settings = Settings(everflow_network_employee_id=9, everflow_tracking_domain_id=None, everflow_timezone_id=0)
    with pytest.raises(SettingsError, match="EVERFLOW_TRACKING_DOMAIN_ID, EVERFLOW_TIMEZONE_ID"):
        defaults_from_settings(settings)


# Statuses


@pytest.mark.parametrize(("ours", "everflow"), [
    ("active", "active"), ("pending", "inactive"), ("inactive", "inactive"), ("rejected", "inactive"),
    ("archived", "inactive")])
def test_advertiser_statuses_map_onto_everflows_write_enum(ours: str, everflow: str) -> None:
    advertiser = replace(ADVERTISER, status=AdvertiserStatus(ours))
    assert advertiser_payload(advertiser, ORG, DEFAULTS)["account_status"] == everflow


@pytest.mark.parametrize(("ours", "everflow"), [
    ("active", "active"), ("pending", "inactive"), ("inactive", "inactive"), ("rejected", "inactive"),
    ("archived", "inactive")])
def test_affiliate_statuses_are_active_or_inactive(ours: str, everflow: str) -> None:
    affiliate = replace(AFFILIATE, status=AffiliateStatus(ours))
    assert affiliate_payload(affiliate, AFF_ORG, DEFAULTS)["account_status"] == everflow


@pytest.mark.parametrize(("ours", "everflow"), [
    ("draft", "paused"), ("active", "active"), ("paused", "paused"), ("archived", "deleted")])
def test_campaign_statuses_map_onto_offer_statuses(ours: str, everflow: str) -> None:
    assert offer(replace(CAMPAIGN, status=CampaignStatus(ours)))["offer_status"] == everflow


def test_an_archived_campaign_never_becomes_an_active_offer_even_over_an_active_one() -> None:
    existing = {**offer(), "network_offer_id": 900}
    archived = replace(CAMPAIGN, status=CampaignStatus.ARCHIVED)
    assert offer(archived, existing)["offer_status"] == "deleted"


# Advertisers


def test_an_advertiser_payload_writes_what_the_canonical_request_writes_but_invents_nothing() -> None:
    payload = advertiser_payload(ADVERTISER, ORG, DEFAULTS)
    assert set(fixture("advertiser")) - {"users", "verification_token"} <= set(payload)
    assert not {"users", "verification_token", "contact_address", "address_id"} & set(payload)
    assert payload["is_contact_address_enabled"] is False
    parse_advertiser(on_the_wire(payload), strict=True)  # the sandbox's strict contract checks pass


def test_an_advertiser_takes_its_own_values_and_configured_defaults_for_the_rest() -> None:
    payload = advertiser_payload(ADVERTISER, ORG, DEFAULTS)
    assert payload["name"] == "Acme Outdoor Gear"
    assert payload["default_currency_id"] == "EUR"
    assert (payload["network_employee_id"], payload["reporting_timezone_id"]) == (7, 80)
    assert (payload["offer_id_macro"], payload["affiliate_id_macro"]) == ("oid", "affid")
    assert payload["attribution_method"] == "last_touch"
    assert payload["platform_username"] == ""
    assert payload["billing"] == {"billing_frequency": "manual", "details": {}}
    own = replace(ADVERTISER, reporting_timezone_id=58, attribution_method=AttributionMethod.FIRST_TOUCH,
                  offer_id_macro="offer")
    payload = advertiser_payload(own, ORG, DEFAULTS)
    assert (payload["reporting_timezone_id"], payload["attribution_method"], payload["offer_id_macro"]) == (
        58, "first_touch", "offer")


def test_advertiser_labels_carry_our_identity_and_the_organization() -> None:
    assert advertiser_payload(ADVERTISER, ORG, DEFAULTS)["labels"] == [
        "abp:advertiser:11", "abp:organization:42", "Acme Outdoor"]


@pytest.mark.parametrize(("frequency", "details"), [
    (BillingFrequency.WEEKLY, {"day_of_week": 2}),
    (BillingFrequency.MONTHLY, {"day_of_month": 15}),
    (BillingFrequency.BIMONTHLY, {"day_of_month_one": 1, "day_of_month_two": 16}),
    (BillingFrequency.TWO_MONTHS, {"day_of_month": 15, "starting_month": 3}),
    (BillingFrequency.QUARTERLY, {"day_of_month": 15, "starting_month": 3}),
    (BillingFrequency.MANUAL, {}),
    (BillingFrequency.OTHER, {}),
])
def test_billing_details_hold_the_days_each_frequency_needs(frequency: BillingFrequency,
                                                           details: dict[str, int]) -> None:
    schedule = BillingSchedule(day_of_week=2, day_of_month=15, day_of_month_one=1, day_of_month_two=16,
                               starting_month=3)
    advertiser = replace(ADVERTISER, billing_details=BillingDetails(frequency=frequency, schedule=schedule))
    billing = advertiser_payload(advertiser, ORG, DEFAULTS)["billing"]
    assert (billing["billing_frequency"], billing["details"]) == (frequency.value, details)
    info = AffiliateBillingInfo(billing_frequency=frequency, details=schedule)
    billing = affiliate_payload(replace(AFFILIATE, billing_info=info), AFF_ORG, DEFAULTS)["billing"]
    assert (billing["billing_frequency"], billing["details"]) == (frequency.value, details)


def test_advertiser_billing_carries_tax_and_invoice_settings_with_exact_money() -> None:
    details = BillingDetails(frequency=BillingFrequency.MONTHLY, schedule=BillingSchedule(day_of_month=1),
                             payment_type=PaymentType.WIRE, tax_id="CA-123", invoice_amount_threshold_cents=1234,
                             is_invoice_creation_auto=True, auto_invoice_start_date=date(2025, 6, 1),
                             invoice_generation_days_delay=2, default_payment_terms=30)
    payload = advertiser_payload(replace(ADVERTISER, billing_details=details), ORG, DEFAULTS)
    assert payload["billing"] == {
        "billing_frequency": "monthly", "details": {"day_of_month": 1}, "tax_id": "CA-123",
        "invoice_amount_threshold": 12.34, "is_invoice_creation_auto": True, "auto_invoice_start_date": "2025-06-01",
        "invoice_generation_days_delay": 2, "default_payment_terms": 30}
    assert '"invoice_amount_threshold": 12.34,' in json.dumps(payload)


def test_a_complete_billing_address_becomes_the_contact_address() -> None:
    advertiser = replace(ADVERTISER, billing_details=BillingDetails(address=ADDRESS))
    payload = advertiser_payload(advertiser, ORG, DEFAULTS)
    assert payload["is_contact_address_enabled"] is True
    assert payload["contact_address"] == {"address_1": "4110 Rue St-Laurent", "city": "Montreal", "region_code": "QC",
                                          "country_code": "CA", "zip_postal_code": "H2R 0A1"}
    parse_advertiser(on_the_wire(payload), strict=True)


@pytest.mark.parametrize("address", [replace(ADDRESS, postal_code=None), replace(ADDRESS, country="Canada"),
                                     replace(ADDRESS, line1="  ")])
def test_an_incomplete_billing_address_is_not_sent(address: BillingAddress) -> None:
    payload = advertiser_payload(replace(ADVERTISER, billing_details=BillingDetails(address=address)), ORG, DEFAULTS)
    assert payload["is_contact_address_enabled"] is False
    assert "contact_address" not in payload


# Affiliates


def test_an_affiliate_payload_writes_what_the_canonical_request_writes_but_invents_nothing() -> None:
    unmanaged = {"users", "enable_media_cost_tracking_links", "referrer_id", "contact_address"}
    payload = affiliate_payload(AFFILIATE, AFF_ORG, DEFAULTS)
    assert set(fixture("affiliate")) - unmanaged <= set(payload)
    assert not {"users", "contact_address"} & set(payload)
    assert payload["billing"] == {"billing_frequency": "manual", "payment_type": "none", "details": {}}
    assert payload["labels"] == ["abp:affiliate:21", "abp:organization:43", "Trail Media", "content", "reviews"]
    parse_affiliate(on_the_wire(payload), strict=True)


def test_an_affiliate_contact_address_is_sent_as_given() -> None:
    address = ContactAddress(address_1="1 Main St", city="Austin", country_code="US", region_code="TX")
    payload = affiliate_payload(replace(AFFILIATE, contact_address=address), AFF_ORG, DEFAULTS)
    assert payload["is_contact_address_enabled"] is True
    assert payload["contact_address"] == {"address_1": "1 Main St", "city": "Austin", "region_code": "TX",
                                          "country_code": "US"}


def test_affiliate_billing_uses_everflows_payment_type_and_payee_fields() -> None:
    info = AffiliateBillingInfo(billing_frequency=BillingFrequency.MONTHLY, payment_type=AffiliatePaymentType.PAXUM,
                                tax_id="T-1", details=BillingSchedule(day_of_month=5), payment={"paxum_id": "px-9"})
    affiliate = replace(AFFILIATE, billing_info=info, invoice_amount_threshold_cents=5001, default_payment_terms=15)
    assert affiliate_payload(affiliate, AFF_ORG, DEFAULTS)["billing"] == {
        "billing_frequency": "monthly", "payment_type": "paxum", "details": {"day_of_month": 5}, "tax_id": "T-1",
        "payment": {"paxum_id": "px-9"}, "invoice_amount_threshold": 50.01, "default_payment_terms": 15}


@pytest.mark.parametrize(("details", "payment_type", "payment"), [
    (PaymentDetails(PaymentType.ACH, bank_name="First Bank", account_number="123", routing_number="0210"),
     "direct_deposit", {"bank_name": "First Bank", "account_number": "123", "routing_number": "0210"}),
    (PaymentDetails(PaymentType.PAYPAL, paypal_email="pay@trail.example"),
     "paypal", {"paypal_reception_method": "email", "reception_identifier": "pay@trail.example"}),
    (PaymentDetails(PaymentType.CRYPTO, crypto_wallet_type="BTC", crypto_address="bc1q"), "bitcoin", None),
    (PaymentDetails(PaymentType.CRYPTO, crypto_wallet_type="eth", crypto_address="0x1"), "none", None),
    (PaymentDetails(PaymentType.CHECK, mailing_address="1 Main St"), "check", None),
    (PaymentDetails(PaymentType.OTHER), "none", None),
])
def test_our_payment_details_map_onto_everflow_payment_types(details: PaymentDetails, payment_type: str,
                                                            payment: dict[str, str] | None) -> None:
    billing = affiliate_payload(replace(AFFILIATE, payment_details=details), AFF_ORG, DEFAULTS)["billing"]
    assert (billing["payment_type"], billing.get("payment")) == (payment_type, payment)
    assert billing["payment_type"] in {t.value for t in AffiliatePaymentType}


# Offers


def test_an_offer_payload_writes_what_the_canonical_request_writes() -> None:
    payload = offer()
    assert set(fixture("offer")) <= set(payload)
    assert payload["network_advertiser_id"] == 501
    assert payload["network_tracking_domain_id"] == 3
    assert payload["labels"] == ["abp:campaign:31", "abp:organization:42"]
    parse_offer(on_the_wire(payload), strict=True, tracking_domains={3}, default_domain=3)


def test_an_offer_has_exactly_one_default_payout_entry_with_exact_amounts() -> None:
    campaign = replace(CAMPAIGN, payout_type=PayoutType.CPA_CPS, payout_percentage=Decimal("12.50"))
    [entry] = offer(campaign)["payout_revenue"]
    assert entry["is_default"] is True
    assert (entry["payout_amount"], entry["payout_percentage"], entry["revenue_amount"]) == (12.34, 12.5, 20.0)
    text = json.dumps(entry)
    assert '"payout_amount": 12.34,' in text
    assert '"payout_percentage": 12.5,' in text


def test_offer_fields_come_from_the_campaign() -> None:
    campaign = replace(CAMPAIGN, end_date=date(2025, 12, 31), terms_and_conditions="No incentives.",
                       description="<p>Spring</p>", is_caps_enabled=True, daily_conversion_cap=50, global_click_cap=9)
    payload = offer(campaign)
    assert payload["date_live_until"] == "2025-12-31"
    assert (payload["terms_and_conditions"], payload["is_using_explicit_terms_and_conditions"]) == (
        "No incentives.", True)
    assert payload["html_description"] == "<p>Spring</p>"
    assert (payload["is_caps_enabled"], payload["daily_conversion_cap"], payload["global_click_cap"]) == (True, 50, 9)
    assert payload["weekly_click_cap"] == 0
    assert offer()["is_using_explicit_terms_and_conditions"] is False


def test_a_new_offer_needs_a_destination_url() -> None:
    with pytest.raises(Conflict, match="destination URL"):
        offer(replace(CAMPAIGN, status=CampaignStatus.DRAFT, destination_url=None))


# Read-modify-write


def advertiser_answer() -> dict[str, Any]:
    """A GET answer as Everflow gives it: ids, timestamps, labels and billing under `relationship`."""
    return {
        "network_advertiser_id": 501, "network_id": 1, "name": "Old name", "account_status": "active",
        "network_employee_id": 12, "reporting_timezone_id": 80, "default_currency_id": "EUR",
        "sales_manager_id": 5, "verification_token": "staff-token", "is_expose_publisher_reporting_data": True,
        "time_created": 1_700_000_000, "time_saved": 1_700_000_100,
        "relationship": {"labels": {"total": 2, "entries": ["vip", "abp:advertiser:11"]},
                         "billing": {"billing_frequency": "weekly", "details": {"day_of_week": 1}},
                         "account_manager": {"first_name": "Employee"}},
    }


def test_an_update_keeps_what_network_staff_set_and_drops_response_only_fields() -> None:
    existing = advertiser_answer()
    payload = advertiser_payload(ADVERTISER, ORG, DEFAULTS, existing=existing)
    assert existing == advertiser_answer()  # the answer itself is left as it was
    assert (payload["sales_manager_id"], payload["verification_token"]) == (5, "staff-token")
    assert payload["is_expose_publisher_reporting_data"] is True
    assert payload["network_employee_id"] == 12  # reassigned in Everflow: the configured default does not win
    assert payload["billing"] == {"billing_frequency": "weekly", "details": {"day_of_week": 1}}
    assert payload["name"] == "Acme Outdoor Gear"
    assert payload["labels"] == ["abp:advertiser:11", "abp:organization:42", "Acme Outdoor"]
    assert not {"network_advertiser_id", "network_id", "time_created", "time_saved", "relationship"} & set(payload)
    parse_advertiser(on_the_wire(payload), strict=True)


def test_our_billing_replaces_everflows_when_we_have_one() -> None:
    advertiser = replace(ADVERTISER, billing_details=BillingDetails(frequency=BillingFrequency.MANUAL))
    payload = advertiser_payload(advertiser, ORG, DEFAULTS, existing=advertiser_answer())
    assert payload["billing"] == {"billing_frequency": "manual", "details": {}}


def test_an_affiliate_update_keeps_unmanaged_fields() -> None:
    existing = {"network_affiliate_id": 601, "network_id": 1, "name": "Old", "account_status": "active",
                "network_employee_id": 7, "referrer_id": 44, "enable_media_cost_tracking_links": True,
                "has_notifications": True, "adress_id": 3, "time_saved": 1,
                "relationship": {"labels": {"total": 0, "entries": []}, "encoded_value": "2LQC3F",
                                 "network_affiliate_tier_id": 2, "users": {"total": 1, "entries": [{}]}}}
    payload = affiliate_payload(replace(AFFILIATE, status=AffiliateStatus.ARCHIVED), AFF_ORG, DEFAULTS,
                                existing=existing)
    assert (payload["referrer_id"], payload["enable_media_cost_tracking_links"]) == (44, True)
    assert (payload["network_affiliate_tier_id"], payload["adress_id"]) == (2, 3)
    assert payload["account_status"] == "inactive"
    assert not {"network_affiliate_id", "has_notifications", "encoded_value", "users", "relationship"} & set(payload)


def offer_answer() -> dict[str, Any]:
    staff_entry = {"entry_name": "Base", "payout_type": "cpc", "payout_amount": 1.0, "revenue_type": "rpc",
                   "revenue_amount": 2.0, "is_default": True, "is_private": False}
    return {"network_offer_id": 900, "network_id": 1, "network_advertiser_id": 501, "name": "Old",
            "destination_url": "https://acme.example/old", "offer_status": "active", "network_tracking_domain_id": 8,
            "redirect_mode": "single_meta_refresh", "network_category_id": 4, "ruleset": {"platforms": []},
            "encoded_value": "4DS3X", "time_saved": 1,
            "relationship": {"payout_revenue": {"total": 1, "entries": [staff_entry]},
                             "labels": {"total": 1, "entries": ["spring"]}}}


def test_an_offer_update_keeps_unmanaged_fields_and_writes_one_payout_entry() -> None:
    payload = offer(replace(CAMPAIGN, destination_url=None), offer_answer())
    assert (payload["redirect_mode"], payload["network_category_id"]) == ("single_meta_refresh", 4)
    assert payload["ruleset"] == {"platforms": []}
    assert payload["network_tracking_domain_id"] == 8
    assert payload["destination_url"] == "https://acme.example/old"  # ours is unset: Everflow's stays
    [entry] = payload["payout_revenue"]
    assert (entry["payout_type"], entry["payout_amount"], entry["is_default"]) == ("cpa", 12.34, True)
    assert not {"network_offer_id", "network_id", "encoded_value", "time_saved", "relationship"} & set(payload)
    parse_offer(on_the_wire(payload), strict=True, tracking_domains={8}, default_domain=3)


@pytest.mark.parametrize(("kind", "payload"), [
    (EntityKind.ADVERTISER,
     advertiser_payload(replace(ADVERTISER, billing_details=BillingDetails(address=ADDRESS)), ORG, DEFAULTS)),
    (EntityKind.AFFILIATE,
     affiliate_payload(replace(AFFILIATE, payment_details=PaymentDetails(PaymentType.WIRE)), AFF_ORG, DEFAULTS)),
    (EntityKind.CAMPAIGN, offer()),
])
def test_every_written_field_is_a_managed_one(kind: EntityKind, payload: dict[str, Any]) -> None:
    assert set(payload) <= MANAGED_FIELDS[kind]


def test_updates_ask_everflow_for_the_write_only_values() -> None:
    assert "billing" in relationships_for_update(EntityKind.ADVERTISER)
    assert "payout_revenue" in relationships_for_update(EntityKind.CAMPAIGN)


# Answers


def test_the_provider_id_is_the_objects_network_id() -> None:
    assert provider_id(EntityKind.ADVERTISER, advertiser_answer()) == "501"
    assert provider_id(EntityKind.CAMPAIGN, offer_answer()) == "900"
    with pytest.raises(EverflowError, match="network_affiliate_id"):
        provider_id(EntityKind.AFFILIATE, {"name": "x"})
    with pytest.raises(ValueError, match="tracking_link"):
        provider_id(EntityKind.TRACKING_LINK, {})


def test_mapping_data_keeps_ids_labels_and_settings() -> None:
    assert mapping_data(EntityKind.ADVERTISER, advertiser_answer()) == {
        "network_advertiser_id": 501, "network_id": 1, "network_employee_id": 12, "account_status": "active",
        "reporting_timezone_id": 80, "sales_manager_id": 5, "verification_token": "staff-token",
        "labels": ["vip", "abp:advertiser:11"], "time_saved": 1_700_000_100}
    data = mapping_data(EntityKind.CAMPAIGN, offer_answer())
    assert (data["network_offer_id"], data["encoded_value"], data["network_tracking_domain_id"]) == (900, "4DS3X", 8)


# Compare


def test_an_object_written_from_our_payload_matches_it() -> None:
    local = advertiser_payload(ADVERTISER, ORG, DEFAULTS)
    remote = {**local, "network_advertiser_id": 501, "labels": list(reversed(local["labels"])),
              "internal_notes": local["internal_notes"], "platform_username": None, "sales_manager_id": 9,
              "network_employee_id": 12}
    assert compare(EntityKind.ADVERTISER, local, remote) == []


def test_discrepancies_are_reported_by_severity() -> None:
    local = offer()
    remote = {**offer_answer(), "name": "Other", "offer_status": "active", "visibility": "private",
              "destination_url": local["destination_url"]}
    remote["relationship"]["payout_revenue"]["entries"] = local["payout_revenue"]
    found = compare(EntityKind.CAMPAIGN, offer(replace(CAMPAIGN, status=CampaignStatus.PAUSED)), remote)
    assert [(d.field, d.severity) for d in found] == [
        ("offer_status", Severity.HIGH), ("name", Severity.MEDIUM), ("labels", Severity.LOW),
        ("visibility", Severity.LOW)]
    assert (found[0].local_value, found[0].provider_value) == ("paused", "active")


def test_a_payout_difference_is_found_inside_the_entries() -> None:
    found = compare(EntityKind.CAMPAIGN, offer(), offer_answer())
    assert "payout_revenue" in [d.field for d in found]


# JSON numbers


def test_amounts_that_a_float_cannot_carry_exactly_are_refused() -> None:
    assert json_number(Decimal("12.34")) == 12.34
    with pytest.raises(ValueError, match="exact"):
        json_number(Decimal("12345678901234567.89"))
