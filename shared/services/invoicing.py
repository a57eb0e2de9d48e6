"""Monthly invoices of postpaid accounts: last month's accrued usage, invoiced in Stripe once.

For each postpaid account whose invoice day is today: our invoice row first (unique per account and
period, so a re-run finds it), then in Stripe one invoice item per usage day and the invoice,
finalized with auto_advance (Stripe collects it: charge_automatically with the default payment
method, else send_invoice due after the payment terms). Every Stripe call carries an idempotency key
derived from our invoice id, so a run that died half-way repeats the same calls and gets the same
objects back. Last, the usage records are marked invoiced and Stripe's ids and status stored.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe as stripe_lib
from stripe.params import InvoiceCreateParams

from shared.adapters.stripe.client import get_stripe_client
from shared.adapters.stripe.errors import stripe_errors
from shared.db.uow import UnitOfWork
from shared.domain.errors import DomainError
from shared.domain.ledger import BillingAccount, Invoice, UsageRecord
from shared.services.auto_recharge import system_uow
from shared.services.billing_customers import ensure_customer

log = logging.getLogger(__name__)


@dataclass
class InvoiceRun:
    """What one run did: invoices created in Stripe now, ones found finished, accounts with nothing to bill."""

    day: dt.date
    accounts: int = 0
    invoiced: int = 0
    already_invoiced: int = 0
    nothing_to_bill: int = 0
    failed: int = 0


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the calendar month before `today`'s."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def run_monthly_invoices(today: dt.date, *, uow_factory: Callable[[], UnitOfWork] = system_uow,
                         stripe: stripe_lib.StripeClient | None = None) -> InvoiceRun:
    """Invoice last month's accrued usage of every postpaid account due today; safe to run again."""
    run = InvoiceRun(today)
    with uow_factory() as uow:
        organizations = uow.invoices.accounts_due(today.day)
    run.accounts = len(organizations)
    client = stripe or get_stripe_client()
    for organization_id in organizations:
        try:
            invoice_account(organization_id, today, uow_factory=uow_factory, stripe=client, run=run)
        except DomainError as error:  # one account's trouble (Stripe down, a refused call) must not stop the rest
            run.failed += 1
            log.error("invoice of organization %s failed: %s", organization_id, error)
    return run


def invoice_account(organization_id: int, today: dt.date, *, uow_factory: Callable[[], UnitOfWork],
                    stripe: stripe_lib.StripeClient, run: InvoiceRun) -> Invoice | None:
    """The account's invoice of last month, created and finalized in Stripe unless that was done already."""
    start, end = previous_month(today)
    invoice = _our_invoice(organization_id, start, end, uow_factory)
    if invoice is None:
        run.nothing_to_bill += 1
        return None
    if invoice.stripe_invoice_id is not None and invoice.status.value != "draft":
        run.already_invoiced += 1
        return invoice
    account = ensure_customer(organization_id, uow=uow_factory(), stripe=stripe)
    stripe_invoice = _stripe_invoice(stripe, account, invoice)
    with uow_factory() as uow:
        stored = uow.invoices.attach_stripe(invoice.invoice_id, stripe_invoice, int(time.time()))
        records = uow.usage_records.accrued(account.billing_account_id, start, end, lock=True)
        uow.usage_records.mark_invoiced([r.usage_record_id for r in records if _on(invoice, r.usage_record_id)],
                                        invoice.invoice_id)
        uow.commit()
    run.invoiced += 1
    return stored


def _on(invoice: Invoice, usage_record_id: int) -> bool:
    return any(line.get("usage_record_id") == usage_record_id for line in invoice.line_items)


def _our_invoice(organization_id: int, start: dt.date, end: dt.date,
                 uow_factory: Callable[[], UnitOfWork]) -> Invoice | None:
    """Our invoice row of the period (written now from the accrued days if there is none); None: nothing due."""
    with uow_factory() as uow:
        account = uow.billing_accounts.get(organization_id)
        assert account is not None
        existing = uow.invoices.for_period(account.billing_account_id, start)
        if existing is not None:  # a re-run: the invoice keeps the lines it was written with
            return existing
        records = uow.usage_records.accrued(account.billing_account_id, start, end)
        lines = [_line(r) for r in records if r.amount_cents > 0]
        if not lines:
            return None
        invoice, _ = uow.invoices.add(account, period_start=start, period_end=end,
                                      total_cents=sum(line["amount_cents"] for line in lines), line_items=lines)
        uow.commit()
    return invoice


def _line(record: UsageRecord) -> dict[str, Any]:
    return {"usage_record_id": record.usage_record_id, "usage_date": record.usage_date.isoformat(),
            "amount_cents": record.amount_cents, "clicks": record.clicks, "conversions": record.conversions}


def _stripe_invoice(client: stripe_lib.StripeClient, account: BillingAccount, invoice: Invoice) -> dict[str, Any]:
    """Items, invoice and finalization in Stripe, each keyed by our invoice id (a repeat returns the same object)."""
    assert account.stripe_customer_id is not None
    key = f"invoice:{invoice.invoice_id}"
    metadata = {"organization_id": str(account.organization_id), "invoice_id": str(invoice.invoice_id)}
    with stripe_errors():
        created = client.v1.invoices.create(params=_invoice_params(account, invoice, metadata),
                                            options={"idempotency_key": f"{key}:create"})
        for line in invoice.line_items:
            client.v1.invoice_items.create(params={
                "customer": account.stripe_customer_id, "invoice": str(created.id), "amount": line["amount_cents"],
                "currency": invoice.currency.lower(), "description": f"Platform usage {line['usage_date']}",
                "metadata": {**metadata, "usage_record_id": str(line["usage_record_id"])},
            }, options={"idempotency_key": f"{key}:item:{line['usage_record_id']}"})
        current = client.v1.invoices.retrieve(str(created.id))
        if current.status == "draft":
            current = client.v1.invoices.finalize_invoice(
                str(created.id), params={"auto_advance": True}, options={"idempotency_key": f"{key}:finalize"})
    return current.to_dict()


def _invoice_params(account: BillingAccount, invoice: Invoice, metadata: dict[str, str]) -> InvoiceCreateParams:
    params: InvoiceCreateParams = {
        "customer": account.stripe_customer_id or "", "currency": invoice.currency.lower(), "auto_advance": True,
        "description": f"Platform usage {invoice.period_start.isoformat()} to {invoice.period_end.isoformat()}",
        "metadata": metadata, "pending_invoice_items_behavior": "exclude",
    }
    if account.default_payment_method_id:
        params |= {"collection_method": "charge_automatically",
                   "default_payment_method": account.default_payment_method_id}
    else:
        params |= {"collection_method": "send_invoice", "days_until_due": max(1, account.payment_terms_days)}
    return params
