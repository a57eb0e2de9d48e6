"""Billing, payment and address models shared by the advertisers and affiliates APIs."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from shared.domain import billing
from shared.domain.billing import (
    AchAccountType,
    BillingAddress,
    BillingDetails,
    BillingFrequency,
    BillingSchedule,
    PaymentDetails,
    PaymentType,
)
from shared.schemas.common import (
    Amount,
    Email,
    LongText,
    Name,
    ReadModel,
    StrictModel,
    from_cents,
    plain_text,
    to_cents,
)


def _country(value: str) -> str:
    if not billing.is_country_code(value):
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, e.g. US")
    return value


def _swift(value: str) -> str:
    if not billing.is_swift_code(value):
        raise ValueError("must be a SWIFT/BIC code of 8 or 11 characters")
    return value


def _iban(value: str) -> str:
    compact = value.replace(" ", "")
    if not billing.is_iban(compact):
        raise ValueError("must be a valid IBAN")
    return compact


# Plain text, blanks trimmed, empty refused.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
                 AfterValidator(plain_text)]
LongLine = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
                     AfterValidator(plain_text)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
                 AfterValidator(plain_text)]
CountryCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True), AfterValidator(_country)]
SwiftCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True), AfterValidator(_swift)]
Iban = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=42), AfterValidator(_iban)]
AccountNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64,
                                                 pattern=r"^[A-Za-z0-9 -]+$")]
Days = Annotated[int, Field(ge=0, le=365)]


class BillingScheduleIn(StrictModel):
    """Which days matter depends on `frequency`; their ranges are checked with it (see the domain rules)."""

    day_of_week: int | None = None
    day_of_month: int | None = None
    day_of_month_one: int | None = None
    day_of_month_two: int | None = None
    starting_month: int | None = None


class PaymentDetailsIn(StrictModel):
    type: PaymentType
    bank_name: Text | None = None
    bank_address: LongLine | None = None
    account_number: AccountNumber | None = None
    routing_number: Code | None = None
    swift_code: SwiftCode | None = None
    iban: Iban | None = None
    ach_account_type: AchAccountType | None = None
    paypal_email: Email | None = None
    crypto_wallet_type: Code | None = None
    crypto_address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128,
                                                     pattern=r"^[A-Za-z0-9:]+$")] | None = None
    mailing_address: LongLine | None = None
    additional_details: LongText | None = None

    def to_domain(self) -> PaymentDetails:
        return PaymentDetails(**self.model_dump())


class BillingAddressIn(StrictModel):
    line1: Text | None = None
    line2: Text | None = None
    city: Text | None = None
    state: Text | None = None
    postal_code: Code | None = None
    country: CountryCode | None = None
    company_name: Name | None = None


class BillingDetailsIn(StrictModel):
    frequency: BillingFrequency | None = None
    schedule: BillingScheduleIn | None = None
    payment_type: PaymentType | None = None
    payment_details: PaymentDetailsIn | None = None
    tax_id: Code | None = None
    is_invoice_creation_auto: bool | None = None
    invoice_amount_threshold: Amount | None = None
    auto_invoice_start_date: date | None = None
    default_invoice_is_hidden: bool | None = None
    invoice_generation_days_delay: Days | None = None
    default_payment_terms: Days | None = None
    address: BillingAddressIn | None = None
    additional_details: LongText | None = None

    def to_domain(self) -> BillingDetails:
        values = self.model_dump(exclude={"schedule", "payment_details", "address", "invoice_amount_threshold"})
        threshold = self.invoice_amount_threshold
        return BillingDetails(
            **values,
            schedule=BillingSchedule(**self.schedule.model_dump()) if self.schedule else None,
            payment_details=self.payment_details.to_domain() if self.payment_details else None,
            address=BillingAddress(**self.address.model_dump()) if self.address else None,
            invoice_amount_threshold_cents=None if threshold is None else to_cents(threshold),
        )


class BillingDetailsRead(ReadModel):
    frequency: BillingFrequency | None
    schedule: BillingSchedule | None
    payment_type: PaymentType | None
    payment_details: PaymentDetails | None
    tax_id: str | None
    is_invoice_creation_auto: bool | None
    invoice_amount_threshold: Amount | None
    auto_invoice_start_date: date | None
    default_invoice_is_hidden: bool | None
    invoice_generation_days_delay: int | None
    default_payment_terms: int | None
    address: BillingAddress | None
    additional_details: str | None

    @model_validator(mode="before")
    @classmethod
    def _from_domain(cls, data: Any) -> Any:
        if not isinstance(data, BillingDetails):
            return data
        values = {k: v for k, v in asdict(data).items() if k != "invoice_amount_threshold_cents"}
        cents = data.invoice_amount_threshold_cents
        return {**values, "schedule": data.schedule, "payment_details": data.payment_details,
                "address": data.address, "invoice_amount_threshold": None if cents is None else from_cents(cents)}
