"""Request and response models of the billing API: accounts, payment methods, recharges, the ledger.

Money enters as a JSON number or decimal string and is parsed exactly by the service against the
account's currency (`parse_amount`); it leaves under the original's JSON names as a decimal string with
the currency's places (`"12.30"`, `"1500"` for JPY), next to the integer minor units (`*_cents`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from shared.domain.ledger import (
    BillingAccount,
    BillingMode,
    Invoice,
    LedgerEntry,
    Payment,
    PaymentMethod,
    UsageRecord,
    format_amount,
)
from shared.schemas.common import Currency, Email, LongText, PositiveId, QueryModel, ReadModel, StrictModel

# Parsed exactly later (the currency decides the places); NaN, infinities and booleans are refused here.
MoneyIn = Annotated[Decimal, Field(allow_inf_nan=False)]
StripeId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=255,
                                            pattern=r"^[A-Za-z0-9_]+$")]
Nickname = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


def money(cents: int, currency: str) -> Decimal:
    return format_amount(cents, currency)


# --- queries ---------------------------------------------------------------------------------------------

class BillingQuery(QueryModel):
    """Admin and PlatformOwner may act on another organization (`?organization_id=`); others on their own."""

    organization_id: PositiveId | None = None


class TransactionListQuery(BillingQuery):
    """The original's `?limit=20 (<=100)&offset=0`; `page`/`page_size` work as on other lists."""

    limit: Annotated[int, Field(ge=1, le=100)] | None = None
    offset: Annotated[int, Field(ge=0, le=1_000_000)] | None = None


class UsageListQuery(BillingQuery):
    start_date: date | None = None
    end_date: date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> UsageListQuery:
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise ValueError("start_date must not be after end_date")
        return self


# --- requests --------------------------------------------------------------------------------------------

class BillingConfigUpdate(StrictModel):
    """A partial update of the account's settings; amounts in the account's currency."""

    billing_mode: BillingMode | None = None
    auto_recharge_enabled: bool | None = None
    auto_recharge_threshold: MoneyIn | None = None
    auto_recharge_amount: MoneyIn | None = None
    credit_limit: MoneyIn | None = None
    billing_email: Email | None = None
    invoice_day_of_month: Annotated[int, Field(ge=1, le=28)] | None = None
    payment_terms_days: Annotated[int, Field(ge=0, le=120)] | None = None
    billing_address: dict[str, Any] | None = None
    tax_info: dict[str, Any] | None = None


class PaymentMethodCreate(StrictModel):
    """A method the client confirmed with Stripe.js: its `pm_` id, or the SetupIntent that saved it."""

    payment_method_id: StripeId | None = None
    setup_intent_id: StripeId | None = None
    set_as_default: bool = False
    nickname: Nickname | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PaymentMethodCreate:
        if (self.payment_method_id is None) == (self.setup_intent_id is None):
            raise ValueError("give exactly one of payment_method_id and setup_intent_id")
        return self


class RechargeCreate(StrictModel):
    amount: MoneyIn
    currency: Currency | None = None
    payment_method_id: StripeId | None = None
    description: Annotated[LongText, StringConstraints(max_length=500)] | None = None


# --- responses -------------------------------------------------------------------------------------------

class BillingAccountRead(ReadModel):
    billing_account_id: int
    organization_id: int
    stripe_customer_id: str | None
    billing_mode: BillingMode
    currency: str
    balance: Decimal
    balance_cents: int
    credit_limit: Decimal
    credit_limit_cents: int
    default_payment_method_id: str | None
    auto_recharge_enabled: bool
    auto_recharge_threshold: Decimal
    auto_recharge_threshold_cents: int
    auto_recharge_amount: Decimal
    auto_recharge_amount_cents: int
    invoice_day_of_month: int
    payment_terms_days: int
    status: str
    billing_email: str | None
    billing_address: dict[str, Any] | None
    tax_info: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


def account_read(account: BillingAccount) -> BillingAccountRead:
    c = account.currency
    return BillingAccountRead(
        billing_account_id=account.billing_account_id, organization_id=account.organization_id,
        stripe_customer_id=account.stripe_customer_id, billing_mode=account.billing_mode, currency=c,
        balance=money(account.balance_cents, c), balance_cents=account.balance_cents,
        credit_limit=money(account.credit_limit_cents, c), credit_limit_cents=account.credit_limit_cents,
        default_payment_method_id=account.default_payment_method_id,
        auto_recharge_enabled=account.auto_recharge_enabled,
        auto_recharge_threshold=money(account.auto_recharge_threshold_cents, c),
        auto_recharge_threshold_cents=account.auto_recharge_threshold_cents,
        auto_recharge_amount=money(account.auto_recharge_amount_cents, c),
        auto_recharge_amount_cents=account.auto_recharge_amount_cents,
        invoice_day_of_month=account.invoice_day_of_month, payment_terms_days=account.payment_terms_days,
        status=account.status.value, billing_email=account.billing_email, billing_address=account.billing_address,
        tax_info=account.tax_info, created_at=account.created_at, updated_at=account.updated_at,
    )


class PaymentMethodRead(ReadModel):
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


def method_read(method: PaymentMethod) -> PaymentMethodRead:
    return PaymentMethodRead.model_validate(method)


class SetupIntentRead(ReadModel):
    setup_intent_id: str
    client_secret: str
    publishable_key: str
    status: str


class TransactionRead(ReadModel):
    """A ledger entry under the original's Transaction JSON names."""

    transaction_id: int
    organization_id: int
    billing_account_id: int
    type: str
    amount: Decimal
    amount_cents: int
    currency: str
    balance_before: Decimal
    balance_before_cents: int
    balance_after: Decimal
    balance_after_cents: int
    reference_type: str | None
    reference_id: str | None
    stripe_payment_intent_id: str | None
    stripe_invoice_id: str | None
    stripe_charge_id: str | None
    description: str | None
    metadata: dict[str, Any]
    status: str
    processed_at: datetime
    created_at: datetime


def transaction_read(entry: LedgerEntry) -> TransactionRead:
    c = entry.currency
    return TransactionRead(
        transaction_id=entry.transaction_id, organization_id=entry.organization_id,
        billing_account_id=entry.billing_account_id, type=entry.type.value, amount=money(entry.amount_cents, c),
        amount_cents=entry.amount_cents, currency=c, balance_before=money(entry.balance_before_cents, c),
        balance_before_cents=entry.balance_before_cents, balance_after=money(entry.balance_after_cents, c),
        balance_after_cents=entry.balance_after_cents, reference_type=entry.reference_type,
        reference_id=entry.reference_id, stripe_payment_intent_id=entry.stripe_payment_intent_id,
        stripe_invoice_id=entry.stripe_invoice_id, stripe_charge_id=entry.stripe_charge_id,
        description=entry.description, metadata=entry.metadata, status="completed",
        processed_at=entry.processed_at, created_at=entry.processed_at,
    )


class PaymentRead(ReadModel):
    payment_id: int
    type: str
    amount: Decimal
    amount_cents: int
    currency: str
    status: str
    client_secret: str | None = None
    next_action: dict[str, Any] | None = None
    stripe_payment_intent_id: str | None
    stripe_payment_method_id: str | None
    failure_code: str | None
    failure_message: str | None
    description: str | None
    transaction: TransactionRead | None
    created_at: datetime
    updated_at: datetime


def payment_read(payment: Payment, entry: LedgerEntry | None = None, *, client_secret: str | None = None,
                 next_action: dict[str, Any] | None = None) -> PaymentRead:
    return PaymentRead(
        payment_id=payment.payment_id, type=payment.purpose.value,
        amount=money(payment.amount_cents, payment.currency), amount_cents=payment.amount_cents,
        currency=payment.currency, status=payment.status.value, client_secret=client_secret, next_action=next_action,
        stripe_payment_intent_id=payment.stripe_payment_intent_id,
        stripe_payment_method_id=payment.stripe_payment_method_id, failure_code=payment.failure_code,
        failure_message=payment.failure_message, description=payment.description,
        transaction=transaction_read(entry) if entry else None, created_at=payment.created_at,
        updated_at=payment.updated_at,
    )


class UsageRecordRead(ReadModel):
    usage_record_id: int
    organization_id: int
    billing_account_id: int
    usage_date: date
    clicks: int
    conversions: int
    affiliate_payout: Decimal
    affiliate_payout_cents: int
    platform_fee: Decimal
    platform_fee_cents: int
    amount: Decimal
    amount_cents: int
    currency: str
    status: str
    campaign_breakdown: list[dict[str, Any]]
    transaction_id: int | None
    invoice_id: int | None
    failure_reason: str | None
    billed_at: datetime | None
    created_at: datetime


def usage_read(record: UsageRecord) -> UsageRecordRead:
    c = record.currency
    return UsageRecordRead(
        usage_record_id=record.usage_record_id, organization_id=record.organization_id,
        billing_account_id=record.billing_account_id, usage_date=record.usage_date, clicks=record.clicks,
        conversions=record.conversions, affiliate_payout=money(record.affiliate_payout_cents, c),
        affiliate_payout_cents=record.affiliate_payout_cents, platform_fee=money(record.platform_fee_cents, c),
        platform_fee_cents=record.platform_fee_cents, amount=money(record.amount_cents, c),
        amount_cents=record.amount_cents, currency=c, status=record.status.value,
        campaign_breakdown=record.campaign_breakdown, transaction_id=record.transaction_id,
        invoice_id=record.invoice_id, failure_reason=record.failure_reason, billed_at=record.billed_at,
        created_at=record.created_at,
    )


class InvoiceRead(ReadModel):
    invoice_id: int
    organization_id: int
    billing_account_id: int
    invoice_number: str | None
    stripe_invoice_id: str | None
    period_start: date
    period_end: date
    currency: str
    total_amount: Decimal
    total_cents: int
    amount_paid: Decimal
    amount_paid_cents: int
    amount_due: Decimal
    amount_due_cents: int
    status: str
    due_date: date | None
    paid_at: datetime | None
    hosted_invoice_url: str | None
    attempt_count: int
    last_failure: str | None
    line_items: list[dict[str, Any]]
    created_at: datetime


def invoice_read(invoice: Invoice) -> InvoiceRead:
    c = invoice.currency
    return InvoiceRead(
        invoice_id=invoice.invoice_id, organization_id=invoice.organization_id,
        billing_account_id=invoice.billing_account_id, invoice_number=invoice.invoice_number,
        stripe_invoice_id=invoice.stripe_invoice_id, period_start=invoice.period_start,
        period_end=invoice.period_end, currency=c, total_amount=money(invoice.total_cents, c),
        total_cents=invoice.total_cents, amount_paid=money(invoice.amount_paid_cents, c),
        amount_paid_cents=invoice.amount_paid_cents, amount_due=money(invoice.amount_due_cents, c),
        amount_due_cents=invoice.amount_due_cents, status=invoice.status.value, due_date=invoice.due_date,
        paid_at=invoice.paid_at, hosted_invoice_url=invoice.hosted_invoice_url,
        attempt_count=invoice.attempt_count, last_failure=invoice.last_failure, line_items=invoice.line_items,
        created_at=invoice.created_at,
    )


class BillingDashboardRead(ReadModel):
    billing_account: BillingAccountRead
    payment_methods: list[PaymentMethodRead]
    recent_transactions: list[TransactionRead]
    current_balance: Decimal
    current_balance_cents: int
    monthly_spend: Decimal
    monthly_spend_cents: int
    pending_invoices: list[InvoiceRead]
    pending_payments: list[PaymentRead]
