"""Billing accounts and their ledger: exact money, and the rules every balance change obeys.

Amounts are integers in the currency's minor unit (cents for USD). A balance changes only by a
ledger entry, and an entry is keyed by the effect it books, so booking the same effect twice is a
no-op rather than a second credit.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from shared.domain.errors import DomainError, ValidationFailed

# Stripe's zero-decimal currencies (https://docs.stripe.com/currencies#zero-decimal); the rest use cents.
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
                          "XAF", "XOF", "XPF"})
MAX_AMOUNT_CENTS = 99_999_999  # Stripe's largest charge in most currencies ($999,999.99)
# A payment not sent to Stripe this long after it was recorded (Stripe was down, we crashed) never is:
# its Idempotency-Key no longer resumes it, and the reconciliation cancels it once twice this long has
# passed and Stripe holds no PaymentIntent for it (the margin covers a creation still in flight).
SUBMIT_WITHIN = timedelta(hours=1)


class BillingMode(enum.StrEnum):
    PREPAID = "prepaid"
    POSTPAID = "postpaid"


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class EntryType(enum.StrEnum):
    RECHARGE = "recharge"
    USAGE_CHARGE = "usage_charge"
    INVOICE_PAYMENT = "invoice_payment"
    REFUND = "refund"
    CHARGEBACK = "chargeback"
    CREDIT = "credit"
    DEBIT = "debit"
    ADJUSTMENT = "adjustment"


# Debits that spend the balance; only these are held to the prepaid floor. Refunds and chargebacks
# record money that has already left, whatever the balance.
SPENDING = frozenset({EntryType.USAGE_CHARGE, EntryType.DEBIT})


class InsufficientFunds(DomainError):
    status = 402
    code = "insufficient_funds"


def minor_unit_exponent(currency: str) -> int:
    return 0 if currency.upper() in ZERO_DECIMAL else 2


def parse_amount(value: Decimal | str | int, currency: str) -> int:
    """A positive decimal amount in `currency` as minor units; more decimals than the currency has is an error."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValidationFailed(f"{value!r} is not a decimal amount.") from exc
    if not amount.is_finite() or amount <= 0:
        raise ValidationFailed("The amount must be greater than zero.")
    minor = amount.scaleb(minor_unit_exponent(currency))
    if minor != minor.to_integral_value():
        raise ValidationFailed(f"{currency} amounts have at most {minor_unit_exponent(currency)} decimal places.")
    if minor > MAX_AMOUNT_CENTS:
        raise ValidationFailed(f"The amount may be at most {format_amount(MAX_AMOUNT_CENTS, currency)}.")
    return int(minor)


def format_amount(cents: int, currency: str) -> Decimal:
    """Minor units back to a decimal with the currency's places, for JSON (`12.30`)."""
    exponent = minor_unit_exponent(currency)
    return Decimal(cents).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


@dataclass(frozen=True)
class BillingAccount:
    billing_account_id: int
    organization_id: int
    stripe_customer_id: str | None
    billing_mode: BillingMode
    currency: str
    balance_cents: int
    credit_limit_cents: int
    default_payment_method_id: str | None
    auto_recharge_enabled: bool
    auto_recharge_threshold_cents: int
    auto_recharge_amount_cents: int
    invoice_day_of_month: int
    payment_terms_days: int
    status: AccountStatus
    billing_email: str | None
    billing_address: dict[str, Any] | None
    tax_info: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime

    @property
    def floor_cents(self) -> int:
        """The lowest balance a spending debit may leave: zero, or minus the credit limit."""
        return -self.credit_limit_cents

    def check_spend(self, amount_cents: int) -> None:
        """Prepaid accounts may not spend below their floor; postpaid ones accrue what they used."""
        if self.billing_mode is BillingMode.PREPAID and self.balance_cents - amount_cents < self.floor_cents:
            raise InsufficientFunds(
                f"The balance of {format_amount(self.balance_cents, self.currency)} {self.currency} does not cover "
                f"{format_amount(amount_cents, self.currency)} {self.currency}.")

    def needs_recharge(self) -> bool:
        """Whether automatic recharge should top the account up now."""
        return (self.auto_recharge_enabled and self.billing_mode is BillingMode.PREPAID
                and self.status is AccountStatus.ACTIVE and self.default_payment_method_id is not None
                and self.balance_cents < self.auto_recharge_threshold_cents)


@dataclass(frozen=True)
class NewEntry:
    """A balance change to book: `key` names its effect (`payment:12`, `usage:40`) and makes it once-only."""

    type: EntryType
    amount_cents: int
    key: str
    description: str
    reference_type: str | None = None
    reference_id: str | None = None
    stripe_payment_intent_id: str | None = None
    stripe_invoice_id: str | None = None
    stripe_charge_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.amount_cents == 0:
            raise ValueError("a ledger entry moves money")


@dataclass(frozen=True)
class LedgerEntry:
    transaction_id: int
    organization_id: int
    billing_account_id: int
    type: EntryType
    amount_cents: int
    currency: str
    balance_before_cents: int
    balance_after_cents: int
    entry_key: str
    reference_type: str | None
    reference_id: str | None
    stripe_payment_intent_id: str | None
    stripe_invoice_id: str | None
    stripe_charge_id: str | None
    description: str | None
    metadata: dict[str, Any]
    processed_at: datetime


@dataclass(frozen=True)
class Posting:
    """What booking an entry did: the entry, and whether this call booked it (False: it was already there)."""

    entry: LedgerEntry
    booked: bool
    account: BillingAccount


class PaymentPurpose(enum.StrEnum):
    RECHARGE = "recharge"
    AUTO_RECHARGE = "auto_recharge"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def final(self) -> bool:
        return self in (PaymentStatus.SUCCEEDED, PaymentStatus.CANCELED)

    @classmethod
    def from_intent(cls, intent_status: str) -> PaymentStatus:
        """A PaymentIntent's status in our terms (a declined card leaves the intent `requires_payment_method`)."""
        return {
            "succeeded": cls.SUCCEEDED, "processing": cls.PROCESSING, "requires_action": cls.REQUIRES_ACTION,
            "requires_confirmation": cls.PENDING, "requires_capture": cls.PROCESSING,
            "requires_payment_method": cls.FAILED, "canceled": cls.CANCELED,
        }.get(intent_status, cls.PENDING)


@dataclass(frozen=True)
class Payment:
    payment_id: int
    organization_id: int
    billing_account_id: int
    purpose: PaymentPurpose
    amount_cents: int
    currency: str
    idempotency_key: str
    request_digest: str
    stripe_payment_intent_id: str | None
    stripe_payment_method_id: str | None
    stripe_charge_id: str | None
    status: PaymentStatus
    failure_code: str | None
    failure_message: str | None
    stripe_updated: int
    description: str | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime

    def submittable(self, now: datetime) -> bool:
        """Still to be sent to Stripe: pending, without a PaymentIntent, and recorded less than SUBMIT_WITHIN ago."""
        return (self.status is PaymentStatus.PENDING and self.stripe_payment_intent_id is None
                and now - self.created_at < SUBMIT_WITHIN)


@dataclass(frozen=True)
class PaymentMethod:
    payment_method_id: int
    organization_id: int
    billing_account_id: int
    stripe_payment_method_id: str
    type: str
    brand: str | None
    last4: str | None
    exp_month: int | None
    exp_year: int | None
    bank_name: str | None
    account_holder_type: str | None
    nickname: str | None
    status: str
    is_default: bool
    created_at: datetime
    updated_at: datetime


class UsageStatus(enum.StrEnum):
    CALCULATED = "calculated"  # priced, not yet charged
    BILLED = "billed"  # charged to a prepaid balance (or nothing to charge)
    ACCRUED = "accrued"  # booked against a postpaid balance, awaiting the monthly invoice
    INVOICED = "invoiced"  # on a monthly invoice
    INSUFFICIENT_FUNDS = "insufficient_funds"  # prepaid balance too low; charged on a later run


@dataclass(frozen=True)
class UsageRecord:
    usage_record_id: int
    organization_id: int
    billing_account_id: int
    usage_date: date
    clicks: int
    conversions: int
    affiliate_payout_cents: int
    platform_fee_cents: int
    amount_cents: int
    currency: str
    status: UsageStatus
    campaign_breakdown: list[dict[str, Any]]
    transaction_id: int | None
    invoice_id: int | None
    failure_reason: str | None
    billed_at: datetime | None
    created_at: datetime


class InvoiceStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    VOID = "void"
    UNCOLLECTIBLE = "uncollectible"

    @property
    def final(self) -> bool:
        return self in (InvoiceStatus.PAID, InvoiceStatus.VOID)


@dataclass(frozen=True)
class Invoice:
    invoice_id: int
    organization_id: int
    billing_account_id: int
    invoice_number: str | None
    stripe_invoice_id: str | None
    period_start: date
    period_end: date
    currency: str
    total_cents: int
    amount_paid_cents: int
    amount_due_cents: int
    status: InvoiceStatus
    due_date: date | None
    paid_at: datetime | None
    hosted_invoice_url: str | None
    attempt_count: int
    last_failure: str | None
    stripe_updated: int
    line_items: list[dict[str, Any]]
    created_at: datetime


class StripeEventStatus(enum.StrEnum):
    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"


@dataclass(frozen=True)
class PaymentMethodDetails:
    """What Stripe tells us about a payment method: its kind and display details, never the number."""

    stripe_payment_method_id: str
    type: str
    customer: str | None
    brand: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    bank_name: str | None = None
    account_holder_type: str | None = None

    @classmethod
    def from_stripe(cls, obj: dict[str, Any]) -> PaymentMethodDetails:
        kind = str(obj.get("type") or "card")
        card = obj.get("card") or {}
        bank = obj.get("us_bank_account") or {}
        customer = obj.get("customer")
        return cls(
            stripe_payment_method_id=str(obj["id"]), type=kind,
            customer=customer if isinstance(customer, str) or customer is None else str(customer.get("id")),
            brand=card.get("brand"), last4=card.get("last4") or bank.get("last4"), exp_month=card.get("exp_month"),
            exp_year=card.get("exp_year"), bank_name=bank.get("bank_name"),
            account_holder_type=bank.get("account_holder_type"),
        )
