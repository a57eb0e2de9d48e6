"""The payment and billing rules of advertisers and affiliates, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.domain import advertisers, affiliates
from shared.domain.affiliates import AffiliateBillingInfo, normalized_labels
from shared.domain.billing import (
    AffiliatePaymentType,
    BillingDetails,
    BillingFrequency,
    BillingSchedule,
    PaymentDetails,
    PaymentType,
    billing_details_problems,
    is_country_code,
    is_iban,
    is_swift_code,
    payment_details_problems,
    require_valid,
    schedule_problems,
)
from shared.domain.errors import Conflict, ValidationFailed
from shared.domain.organizations import Organization, OrganizationStatus, OrganizationType

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def fields(problems) -> list[str]:
    return [p.field for p in problems]


@pytest.mark.parametrize(("frequency", "needed"), [
    (BillingFrequency.WEEKLY, ["day_of_week"]),
    (BillingFrequency.MONTHLY, ["day_of_month"]),
    (BillingFrequency.BIMONTHLY, ["day_of_month_one", "day_of_month_two"]),
    (BillingFrequency.QUARTERLY, ["starting_month"]),
    (BillingFrequency.TWO_MONTHS, []),
    (BillingFrequency.MANUAL, []),
    (BillingFrequency.OTHER, []),
    (None, []),
])
def test_each_frequency_needs_its_schedule_fields(frequency, needed) -> None:
    assert fields(schedule_problems(frequency, None, "s")) == [f"s.{name}" for name in needed]


@pytest.mark.parametrize(("name", "low", "high"), [
    ("day_of_week", 0, 6), ("day_of_month", 1, 31), ("day_of_month_one", 1, 31), ("day_of_month_two", 1, 31),
    ("starting_month", 1, 12),
])
def test_schedule_days_are_checked_at_both_ends_of_their_range(name, low, high) -> None:
    for value in (low, high):
        assert schedule_problems(None, BillingSchedule(**{name: value}), "s") == []
    for value in (low - 1, high + 1):
        [problem] = schedule_problems(None, BillingSchedule(**{name: value}), "s")
        assert (problem.field, problem.message) == (f"s.{name}", f"must be between {low} and {high}")


def test_bimonthly_needs_two_different_days() -> None:
    same = BillingSchedule(day_of_month_one=10, day_of_month_two=10)
    assert fields(schedule_problems(BillingFrequency.BIMONTHLY, same, "s")) == ["s.day_of_month_two"]
    apart = BillingSchedule(day_of_month_one=1, day_of_month_two=15)
    assert schedule_problems(BillingFrequency.BIMONTHLY, apart, "s") == []


WIRE = PaymentDetails(PaymentType.WIRE, bank_name="Bank", account_number="123", routing_number="021000021")


@pytest.mark.parametrize(("details", "missing"), [
    (WIRE, []),
    (PaymentDetails(PaymentType.WIRE, bank_name="Bank", account_number="1", swift_code="DEUTDEFF"), []),
    (PaymentDetails(PaymentType.WIRE, bank_name="Bank", account_number="1", iban="GB82WEST12345698765432"), []),
    (PaymentDetails(PaymentType.WIRE), ["bank_name", "account_number", "routing_number"]),
    (PaymentDetails(PaymentType.WIRE, bank_name="  ", account_number="1", iban="x"), ["bank_name"]),
    (PaymentDetails(PaymentType.ACH, bank_name="B", account_number="1", swift_code="DEUTDEFF"), ["routing_number"]),
    (PaymentDetails(PaymentType.ACH), ["bank_name", "account_number", "routing_number"]),
    (PaymentDetails(PaymentType.PAYPAL), ["paypal_email"]),
    (PaymentDetails(PaymentType.PAYPAL, paypal_email="p@x.example"), []),
    (PaymentDetails(PaymentType.CRYPTO), ["crypto_address", "crypto_wallet_type"]),
    (PaymentDetails(PaymentType.CRYPTO, crypto_address="bc1q", crypto_wallet_type="btc"), []),
    (PaymentDetails(PaymentType.CHECK), ["mailing_address"]),
    (PaymentDetails(PaymentType.CHECK, mailing_address="1 Main St"), []),
    (PaymentDetails(PaymentType.OTHER), []),
])
def test_each_payment_type_needs_what_its_payment_cannot_be_made_without(details, missing) -> None:
    assert fields(payment_details_problems(details, "p")) == [f"p.{name}" for name in missing]


def test_billing_details_name_nested_fields_and_catch_a_payment_type_mismatch() -> None:
    details = BillingDetails(frequency=BillingFrequency.WEEKLY, payment_type=PaymentType.ACH,
                             payment_details=PaymentDetails(PaymentType.PAYPAL))
    assert fields(billing_details_problems(details)) == [
        "billing_details.schedule.day_of_week",
        "billing_details.payment_details.paypal_email",
        "billing_details.payment_details.type",
    ]
    assert billing_details_problems(BillingDetails(payment_type=PaymentType.WIRE, payment_details=WIRE)) == []


def test_require_valid_raises_a_422_with_every_problem_in_the_api_detail_shape() -> None:
    require_valid([])
    with pytest.raises(ValidationFailed) as error:
        require_valid(payment_details_problems(PaymentDetails(PaymentType.CRYPTO), "payment_details"))
    assert error.value.status == 422
    assert error.value.details == [
        {"field": "payment_details.crypto_address", "location": "body", "message": "is required for crypto payments",
         "type": "value_error"},
        {"field": "payment_details.crypto_wallet_type", "location": "body",
         "message": "is required for crypto payments", "type": "value_error"},
    ]


@pytest.mark.parametrize(("value", "valid"), [
    ("GB82WEST12345698765432", True), ("DE89370400440532013000", True), ("GB82WEST12345698765431", False),
    ("XX82WEST12345698765432", False), ("GB82", False), ("gb82west12345698765432", False),
])
def test_an_iban_needs_a_known_country_and_a_valid_checksum(value, valid) -> None:
    assert is_iban(value) is valid


@pytest.mark.parametrize(("value", "valid"), [
    ("DEUTDEFF", True), ("DEUTDEFF500", True), ("DEUTXXFF", False), ("DEUTDEF", False), ("deutdeff", False),
])
def test_a_swift_code_has_eight_or_eleven_characters_and_a_country(value, valid) -> None:
    assert is_swift_code(value) is valid


def test_country_codes_are_the_iso_alpha_2_list() -> None:
    assert all(is_country_code(code) for code in ("US", "CA", "FR", "DE", "JP", "BR"))
    assert not any(is_country_code(code) for code in ("USA", "us", "XX", "UK", ""))


def test_the_enums_are_everflows() -> None:
    assert [f.value for f in BillingFrequency] == ["weekly", "bimonthly", "monthly", "two_months", "quarterly",
                                                   "manual", "other"]
    assert [t.value for t in AffiliatePaymentType] == [
        "none", "pay", "paypal", "check", "wire", "direct_deposit", "tipalti", "paxum", "veem", "payoneer",
        "bitcoin", "webmoney", "capitalist", "transferwise", "gift_card", "masspay", "skrill"]


def organization(org_type: OrganizationType, status: OrganizationStatus = OrganizationStatus.ACTIVE) -> Organization:
    return Organization(7, "Org", org_type, status, None, None, NOW, NOW)


def test_advertisers_live_only_in_a_live_advertiser_organization() -> None:
    advertisers.check_owner(organization(OrganizationType.ADVERTISER))
    for other in (OrganizationType.AFFILIATE, OrganizationType.AGENCY, OrganizationType.PLATFORM_OWNER):
        with pytest.raises(ValidationFailed) as error:
            advertisers.check_owner(organization(other))
        assert error.value.details[0]["field"] == "organization_id"
    with pytest.raises(Conflict):
        advertisers.check_owner(organization(OrganizationType.ADVERTISER, OrganizationStatus.ARCHIVED))


def test_affiliates_live_only_in_a_live_affiliate_organization() -> None:
    affiliates.check_owner(organization(OrganizationType.AFFILIATE))
    with pytest.raises(ValidationFailed):
        affiliates.check_owner(organization(OrganizationType.ADVERTISER))
    with pytest.raises(Conflict):
        affiliates.check_owner(organization(OrganizationType.AFFILIATE, OrganizationStatus.ARCHIVED))


def test_an_archived_advertiser_cannot_be_edited() -> None:
    base = dict(advertiser_id=1, organization_id=7, name="A", contact_email=None, billing_details=None,
                internal_notes=None, default_currency_id="USD", platform_name=None, platform_url=None,
                platform_username=None, accounting_contact_email=None, offer_id_macro=None, affiliate_id_macro=None,
                attribution_method=None, email_attribution_method=None, attribution_priority=None,
                reporting_timezone_id=None, version=1, created_at=NOW, updated_at=NOW)
    for status in ("active", "pending", "inactive", "rejected"):
        advertisers.check_editable(advertisers.Advertiser(status=advertisers.AdvertiserStatus(status), **base))
    with pytest.raises(Conflict):
        advertisers.check_editable(advertisers.Advertiser(status=advertisers.AdvertiserStatus.ARCHIVED, **base))


def test_affiliate_rules_check_the_payee_and_the_billing_schedule() -> None:
    info = AffiliateBillingInfo(billing_frequency=BillingFrequency.MONTHLY, details=BillingSchedule(day_of_month=40))
    assert fields(affiliates.affiliate_problems(PaymentDetails(PaymentType.CHECK), info)) == [
        "payment_details.mailing_address", "billing_info.details.day_of_month"]
    assert affiliates.affiliate_problems(None, None) == []


def test_labels_are_trimmed_and_deduplicated_in_order() -> None:
    assert normalized_labels([" b", "a ", "b", "c"]) == ["b", "a", "c"]
