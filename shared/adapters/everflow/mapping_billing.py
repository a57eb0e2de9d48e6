"""Everflow `billing` blocks and contact addresses, from our billing values (contract §2.1, §2.2)."""

from __future__ import annotations

from shared.adapters.everflow.mapping_defaults import EverflowDefaults, Json, cents_number, present
from shared.domain.affiliates import Affiliate, AffiliateBillingInfo, ContactAddress
from shared.domain.billing import (
    AffiliatePaymentType,
    BillingAddress,
    BillingDetails,
    BillingFrequency,
    BillingSchedule,
    PaymentDetails,
    PaymentType,
    is_country_code,
)

# Which schedule fields Everflow reads for each frequency; the others are left out.
DETAIL_FIELDS: dict[BillingFrequency, tuple[str, ...]] = {
    BillingFrequency.WEEKLY: ("day_of_week",),
    BillingFrequency.BIMONTHLY: ("day_of_month_one", "day_of_month_two"),
    BillingFrequency.MONTHLY: ("day_of_month",),
    BillingFrequency.TWO_MONTHS: ("day_of_month", "starting_month"),
    BillingFrequency.QUARTERLY: ("day_of_month", "starting_month"),
    BillingFrequency.MANUAL: (),
    BillingFrequency.OTHER: (),
}
# How an affiliate wants to be paid (our payment details) in Everflow's payment types.
PAYMENT_TYPES: dict[PaymentType, AffiliatePaymentType] = {
    PaymentType.WIRE: AffiliatePaymentType.WIRE,
    PaymentType.ACH: AffiliatePaymentType.DIRECT_DEPOSIT,
    PaymentType.CHECK: AffiliatePaymentType.CHECK,
    PaymentType.PAYPAL: AffiliatePaymentType.PAYPAL,
    PaymentType.CRYPTO: AffiliatePaymentType.NONE,  # Everflow knows only bitcoin: see _payment_type
    PaymentType.OTHER: AffiliatePaymentType.NONE,
}
BITCOIN_WALLETS = frozenset({"bitcoin", "btc"})
BANK_FIELDS = ("bank_name", "bank_address", "account_number", "routing_number", "swift_code")
ADVERTISER_ADDRESS_REQUIRED = ("address_1", "city", "region_code", "country_code", "zip_postal_code")


def schedule_details(frequency: BillingFrequency, schedule: BillingSchedule | None) -> Json:
    """`billing.details`: the days the frequency needs, as given."""
    if schedule is None:
        return {}
    values = {name: getattr(schedule, name) for name in DETAIL_FIELDS[frequency]}
    return present(values)


def advertiser_billing(details: BillingDetails, defaults: EverflowDefaults) -> Json:
    """The advertiser's invoicing; Everflow has no payment type for advertisers, so ours is not sent."""
    frequency = details.frequency or defaults.billing_frequency
    start = details.auto_invoice_start_date
    return {"billing_frequency": frequency.value, "details": schedule_details(frequency, details.schedule)} | present({
        "tax_id": details.tax_id,
        "invoice_amount_threshold": cents_number(details.invoice_amount_threshold_cents),
        "is_invoice_creation_auto": details.is_invoice_creation_auto,
        "auto_invoice_start_date": start.isoformat() if start else None,
        "default_invoice_is_hidden": details.default_invoice_is_hidden,
        "invoice_generation_days_delay": details.invoice_generation_days_delay,
        "default_payment_terms": details.default_payment_terms,
    })


def affiliate_billing(affiliate: Affiliate, defaults: EverflowDefaults) -> Json | None:
    """The affiliate's payouts, or None when the affiliate has no billing values at all."""
    given = (affiliate.billing_info, affiliate.payment_details, affiliate.invoice_amount_threshold_cents,
             affiliate.default_payment_terms)
    if all(value is None for value in given):
        return None
    info = affiliate.billing_info or AffiliateBillingInfo()
    frequency = info.billing_frequency or defaults.billing_frequency
    return {
        "billing_frequency": frequency.value,
        "payment_type": _payment_type(info, affiliate.payment_details).value,
        "details": schedule_details(frequency, info.details),
    } | present({
        "tax_id": info.tax_id,
        "payment": dict(info.payment) or payee_fields(affiliate.payment_details) or None,
        "invoice_amount_threshold": cents_number(affiliate.invoice_amount_threshold_cents),
        "default_payment_terms": affiliate.default_payment_terms,
    })


def _payment_type(info: AffiliateBillingInfo, details: PaymentDetails | None) -> AffiliatePaymentType:
    """Everflow's own value when the affiliate chose one, else the closest to its payment details."""
    if info.payment_type is not None:
        return info.payment_type
    if details is None:
        return AffiliatePaymentType.NONE
    wallet = (details.crypto_wallet_type or "").strip().lower()
    if details.type is PaymentType.CRYPTO and wallet in BITCOIN_WALLETS:
        return AffiliatePaymentType.BITCOIN
    return PAYMENT_TYPES[details.type]


def payee_fields(details: PaymentDetails | None) -> Json:
    """`billing.payment` from our payment details, in Everflow's field names (bank and PayPal only)."""
    if details is None:
        return {}
    if details.type is PaymentType.PAYPAL and details.paypal_email:
        return {"paypal_reception_method": "email", "reception_identifier": details.paypal_email}
    if details.type in {PaymentType.WIRE, PaymentType.ACH}:
        return present({name: getattr(details, name) for name in BANK_FIELDS})
    return {}


def affiliate_address(address: ContactAddress | None) -> Json:
    """`is_contact_address_enabled` and, when there is one, `contact_address`."""
    if address is None:
        return {"is_contact_address_enabled": False}
    return {"is_contact_address_enabled": True, "contact_address": present({
        "address_1": address.address_1,
        "address_2": address.address_2,
        "city": address.city,
        "region_code": address.region_code,
        "country_code": address.country_code,
        "zip_postal_code": address.zip_postal_code,
    })}


def advertiser_address(address: BillingAddress | None) -> Json:
    """The billing address as the advertiser's contact address, only when it is complete.

    Everflow refuses an enabled advertiser address without street, city, region, postal code and
    an ISO 3166-1 alpha-2 country, so an incomplete one is not sent (and nothing is made up).
    """
    if address is None:
        return {"is_contact_address_enabled": False}
    fields = {
        "address_1": address.line1,
        "address_2": address.line2,
        "city": address.city,
        "region_code": address.state,
        "country_code": (address.country or "").strip().upper(),
        "zip_postal_code": address.postal_code,
    }
    complete = all((fields[name] or "").strip() for name in ADVERTISER_ADDRESS_REQUIRED)
    if not complete or not is_country_code(fields["country_code"] or ""):
        return {"is_contact_address_enabled": False}
    return {"is_contact_address_enabled": True, "contact_address": present(fields)}
