"""Stripe webhook events, each applied exactly once, in the transaction that records it.

An event is claimed by id, applied and marked done in one transaction: a duplicate delivery finds it
done (or waits for the delivery in flight) and changes nothing. Order does not matter: payments move
only to newer or final states, ledger entries are keyed by the effect they book, refunds book the
difference to what is already refunded, and payment methods are re-fetched so Stripe's current state
decides. A handler error rolls everything back, records the event as failed and re-raises, so Stripe
retries it and `replay_failed` picks it up later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe as stripe_lib

from shared.adapters.stripe.client import get_stripe_client
from shared.adapters.stripe.errors import stripe_errors
from shared.adapters.stripe.webhooks import StripeEvent, event_from_dict
from shared.db.uow import UnitOfWork
from shared.domain.events import DomainEvent
from shared.domain.ledger import (
    SUBMIT_WITHIN,
    BillingAccount,
    BillingMode,
    EntryType,
    InvoiceStatus,
    NewEntry,
    Payment,
    PaymentMethod,
    PaymentMethodDetails,
    StripeEventStatus,
    format_amount,
)
from shared.domain.principal import TenantScope
from shared.services.payment_outcomes import apply_payment_intent

log = logging.getLogger(__name__)
DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Outcome:
    """What became of one delivery: processed, ignored or duplicate, and whose event it was."""

    status: str
    organization_id: int | None = None


@dataclass(frozen=True)
class ReplayReport:
    replayed: int
    failed: int


@dataclass
class Context:
    """One event being applied: its transaction, and Stripe for re-fetching objects (created on first use)."""

    uow: UnitOfWork
    event: StripeEvent
    client: stripe_lib.StripeClient | None = None

    @property
    def obj(self) -> dict[str, Any]:
        return self.event.data_object

    def stripe(self) -> stripe_lib.StripeClient:
        if self.client is None:
            self.client = get_stripe_client()
        return self.client

    def payment_method(self, payment_method_id: str) -> dict[str, Any]:
        with stripe_errors():
            return self.stripe().v1.payment_methods.retrieve(payment_method_id).to_dict()

    def charge(self, charge_id: str) -> dict[str, Any]:
        with stripe_errors():
            return self.stripe().v1.charges.retrieve(charge_id).to_dict()


# A handler applies its event and returns the organization it concerned, or None when it is not ours.
Handler = Callable[[Context], int | None]


def handle_event(event: StripeEvent, *, uow: UnitOfWork, stripe: stripe_lib.StripeClient | None = None) -> Outcome:
    """Claim, apply and record `event` in one transaction; a failure is recorded apart and re-raised."""
    try:
        with uow:
            if not uow.stripe_events.claim(event):
                return Outcome(DUPLICATE)
            handler = HANDLERS.get(event.type)
            organization_id = handler(Context(uow, event, stripe)) if handler else None
            status = StripeEventStatus.PROCESSED if organization_id is not None else StripeEventStatus.IGNORED
            uow.stripe_events.finish(event.id, status, organization_id)
            uow.commit()
    except Exception as error:
        _record_failure(event, error, uow.scope)
        raise
    return Outcome(status.value, organization_id)


def _record_failure(event: StripeEvent, error: Exception, scope: TenantScope) -> None:
    log.warning("stripe event %s (%s) failed: %s", event.id, event.type, type(error).__name__,
                extra={"fields": {"stripe_event_id": event.id, "stripe_event_type": event.type}})
    with UnitOfWork(scope) as uow:
        uow.stripe_events.record_failure(event, f"{type(error).__name__}: {error}")
        uow.commit()


def replay_failed(*, limit: int = 100, max_attempts: int = 10) -> ReplayReport:
    """Re-run failed events from their stored payload, oldest first."""
    with UnitOfWork(TenantScope.everything()) as uow:
        pending = uow.stripe_events.failed(limit, max_attempts)
    replayed = failed = 0
    for stored in pending:
        try:
            handle_event(event_from_dict(stored.payload), uow=UnitOfWork(TenantScope.everything()))
            replayed += 1
        except Exception:  # recorded as failed again by handle_event; the next run retries it
            log.exception("replay of stripe event %s failed", stored.stripe_event_id)
            failed += 1
    return ReplayReport(replayed, failed)


def reconcile_stale_payments(older_than_s: int, *, limit: int = 100,
                             stripe: stripe_lib.StripeClient | None = None) -> int:
    """Settle payments still open `older_than_s` after their last change; how many changed.

    Each one's PaymentIntent is re-fetched (searched by our payment id when the answer to its creation
    was lost) and applied; one Stripe never saw is canceled once 2 x SUBMIT_WITHIN old.
    """
    with UnitOfWork(TenantScope.everything()) as uow:
        stale = uow.payments.stale_open(older_than_s, limit)
    client = stripe or (get_stripe_client() if stale else None)
    changed = 0
    for payment in stale:
        assert client is not None
        intent = _intent_of(client, payment)
        with UnitOfWork(TenantScope.everything()) as uow:
            if intent is not None:
                applied = apply_payment_intent(uow, intent, int(time.time()))
            elif datetime.now(UTC) - payment.created_at >= 2 * SUBMIT_WITHIN:
                applied = uow.payments.abandon(payment.payment_id)
            else:
                applied = None
            uow.commit()
        changed += applied is not None and applied.status is not payment.status
    return changed


def _intent_of(client: stripe_lib.StripeClient, payment: Payment) -> dict[str, Any] | None:
    with stripe_errors():
        if payment.stripe_payment_intent_id:
            return client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id).to_dict()
        found = client.v1.payment_intents.search({"query": f"metadata['payment_id']:'{payment.payment_id}'"}).data
    return found[0].to_dict() if found else None


# --- payment intents ---------------------------------------------------------------------------------

def _payment_intent(ctx: Context) -> int | None:
    """Our payment's outcome: applied through the one place that books recharges."""
    payment = _known_payment(ctx.uow, ctx.obj)
    if payment is None:
        return None  # an invoice's intent, or one we did not create
    apply_payment_intent(ctx.uow, ctx.obj, ctx.event.created)
    return payment.organization_id


def _known_payment(uow: UnitOfWork, intent: dict[str, Any]) -> Payment | None:
    payment_id = str((intent.get("metadata") or {}).get("payment_id") or "")
    payment = uow.payments.get(int(payment_id)) if payment_id.isdigit() else None
    return payment or uow.payments.by_intent(str(intent["id"]))


# --- payment methods ---------------------------------------------------------------------------------

def _setup_intent(ctx: Context) -> int | None:
    """A method saved through a SetupIntent: kept for the customer's account as Stripe now shows it."""
    method_id = _id(ctx.obj.get("payment_method"))
    account = _account_of_customer(ctx.uow, ctx.obj.get("customer"))
    if method_id is None or account is None:
        return None
    _sync_method(ctx.uow, account, ctx.payment_method(method_id))
    return account.organization_id


def _payment_method(ctx: Context) -> int | None:
    """Attached or detached: the method as Stripe holds it now decides, so reordered events end right."""
    current = ctx.payment_method(str(ctx.obj["id"]))
    known = ctx.uow.payment_methods.by_stripe_id(str(ctx.obj["id"]))
    account = _account_of_customer(ctx.uow, current.get("customer"))
    if account is not None:
        _sync_method(ctx.uow, account, current)
        return account.organization_id
    if known is not None:
        _remove_method(ctx.uow, known)
        return known.organization_id
    # Detached before we saw it attached: nothing to keep, but the event was our customer's.
    previous = (ctx.event.previous_attributes or {}).get("customer")
    owner = _account_of_customer(ctx.uow, ctx.obj.get("customer") or previous)
    return owner.organization_id if owner else None


def _sync_method(uow: UnitOfWork, account: BillingAccount, method: dict[str, Any]) -> None:
    """Keep the method while it is attached to the account's customer (the first one becomes default)."""
    locked = uow.billing_accounts.get(account.organization_id, lock=True)  # one default, even when concurrent
    assert locked is not None
    details = PaymentMethodDetails.from_stripe(method)
    if details.customer != locked.stripe_customer_id:
        known = uow.payment_methods.by_stripe_id(details.stripe_payment_method_id)
        if known is not None and known.status == "active":
            _remove_method(uow, known)
        return
    uow.payment_methods.upsert(locked, details)
    if locked.default_payment_method_id is None:
        uow.billing_accounts.set_default_payment_method(locked.organization_id, details.stripe_payment_method_id)


def _remove_method(uow: UnitOfWork, method: PaymentMethod) -> None:
    """Deactivate a detached method; if it was the default, the newest remaining one takes its place."""
    uow.payment_methods.deactivate(method.stripe_payment_method_id)
    if method.is_default:
        remaining = uow.payment_methods.list_active(method.organization_id)
        uow.billing_accounts.set_default_payment_method(
            method.organization_id, remaining[0].stripe_payment_method_id if remaining else None)


# --- invoices ----------------------------------------------------------------------------------------

def _invoice_paid(ctx: Context) -> int | None:
    """A paid monthly invoice: mirrored, and credited to the postpaid balance once."""
    invoice, account = ctx.obj, _account_of_customer(ctx.uow, ctx.obj.get("customer"))
    if account is None or ctx.uow.invoices.by_stripe_id(str(invoice["id"])) is None:
        return None
    paid_at = (invoice.get("status_transitions") or {}).get("paid_at") or ctx.event.created
    applied = ctx.uow.invoices.apply_stripe(
        str(invoice["id"]), status=InvoiceStatus.PAID, amount_paid_cents=int(invoice.get("amount_paid") or 0),
        amount_due_cents=int(invoice.get("amount_due") or 0), paid_at=datetime.fromtimestamp(int(paid_at), UTC),
        attempt_count=int(invoice.get("attempt_count") or 0), last_failure=None, stripe_created=ctx.event.created)
    amount = int(invoice.get("amount_paid") or 0)
    if account.billing_mode is BillingMode.POSTPAID and amount > 0:
        ctx.uow.ledger.post(account.organization_id, NewEntry(
            EntryType.INVOICE_PAYMENT, amount, f"invoice:{invoice['id']}",
            f"Invoice {invoice.get('number') or invoice['id']} paid", reference_type="invoice",
            reference_id=str(invoice["id"]), stripe_invoice_id=str(invoice["id"])))
    if applied is not None:
        _announce(ctx.uow, "invoice.paid", account, invoice_id=str(invoice["id"]), amount_cents=amount,
                  number=invoice.get("number") or "")
    return account.organization_id


def _invoice_payment_failed(ctx: Context) -> int | None:
    """A failed collection attempt: recorded on the invoice (never over a paid one) and announced."""
    invoice, account = ctx.obj, _account_of_customer(ctx.uow, ctx.obj.get("customer"))
    if account is None or ctx.uow.invoices.by_stripe_id(str(invoice["id"])) is None:
        return None
    attempts = int(invoice.get("attempt_count") or 0)
    failure = f"Payment attempt {attempts} failed."
    applied = ctx.uow.invoices.apply_stripe(
        str(invoice["id"]), status=_invoice_status(invoice.get("status")),
        amount_paid_cents=int(invoice.get("amount_paid") or 0), amount_due_cents=int(invoice.get("amount_due") or 0),
        paid_at=None, attempt_count=attempts, last_failure=failure, stripe_created=ctx.event.created)
    if applied is not None:
        _announce(ctx.uow, "invoice.payment_failed", account, invoice_id=str(invoice["id"]),
                  amount_cents=int(invoice.get("amount_due") or 0), number=invoice.get("number") or "",
                  failure_message=failure)
    return account.organization_id


def _invoice_status(value: Any) -> InvoiceStatus:
    try:
        return InvoiceStatus(str(value))
    except ValueError:
        return InvoiceStatus.OPEN


# --- refunds and disputes ----------------------------------------------------------------------------

def _charge_refunded(ctx: Context) -> int | None:
    """Book what was refunded beyond what the ledger already holds for the charge (an older total books nothing)."""
    charge = ctx.obj
    account = _account_of_charge(ctx, charge.get("payment_intent"), charge.get("customer"), None)
    if account is None:
        return None
    ctx.uow.billing_accounts.get(account.organization_id, lock=True)  # refunds of one charge line up here
    total = int(charge.get("amount_refunded") or 0)
    more = total - ctx.uow.ledger.refunded_for_charge(str(charge["id"]))
    if more > 0:
        ctx.uow.ledger.post(account.organization_id, NewEntry(
            EntryType.REFUND, -more, f"refund:{charge['id']}:{total}", "Refund", reference_type="charge",
            reference_id=str(charge["id"]), stripe_payment_intent_id=_id(charge.get("payment_intent")),
            stripe_charge_id=str(charge["id"]), metadata={"amount_refunded": total}))
        _announce(ctx.uow, "charge.refunded", account, charge_id=str(charge["id"]), amount_cents=more,
                  amount_refunded=total)
    return account.organization_id


def _dispute_created(ctx: Context) -> int | None:
    """A chargeback: the disputed amount leaves the balance once."""
    dispute = ctx.obj
    account = _account_of_charge(ctx, dispute.get("payment_intent"), None, _id(dispute.get("charge")))
    if account is None:
        return None
    amount = int(dispute.get("amount") or 0)
    if amount > 0:
        posting = ctx.uow.ledger.post(account.organization_id, NewEntry(
            EntryType.CHARGEBACK, -amount, f"dispute:{dispute['id']}",
            f"Chargeback ({dispute.get('reason') or 'dispute'})",
            reference_type="dispute", reference_id=str(dispute["id"]),
            stripe_payment_intent_id=_id(dispute.get("payment_intent")), stripe_charge_id=_id(dispute.get("charge")),
            metadata={"reason": dispute.get("reason")}))
        if posting.booked:
            _announce(ctx.uow, "charge.disputed", account, dispute_id=str(dispute["id"]),
                      amount_cents=amount, reason=dispute.get("reason") or "")
    return account.organization_id


def _account_of_charge(ctx: Context, intent: Any, customer: Any, charge_id: str | None) -> BillingAccount | None:
    """The account behind a charge: by our payment for its intent, else by its customer (re-fetched if unknown)."""
    payment = ctx.uow.payments.by_intent(str(_id(intent))) if _id(intent) else None
    if payment is not None:
        return ctx.uow.billing_accounts.get(payment.organization_id)
    if customer is None and charge_id is not None:
        customer = ctx.charge(charge_id).get("customer")
    return _account_of_customer(ctx.uow, customer)


# --- shared ------------------------------------------------------------------------------------------

def _account_of_customer(uow: UnitOfWork, customer: Any) -> BillingAccount | None:
    customer_id = _id(customer)
    return uow.billing_accounts.by_customer(customer_id) if customer_id else None


def _announce(uow: UnitOfWork, event_type: str, account: BillingAccount, *, amount_cents: int, **details: Any) -> None:
    """An outbox event the activity feed turns into an entry for the organization.

    The aggregate is the billing account (a numeric id, as every consumer of the topic expects); the
    Stripe object's id travels in the payload.
    """
    payload = {"organization_id": account.organization_id, "amount": str(format_amount(amount_cents, account.currency)),
               "currency": account.currency, **details}
    uow.outbox.add(DomainEvent(event_type, "billing_account", str(account.billing_account_id),
                               account.organization_id, payload=payload))


def _id(value: Any) -> str | None:
    """An expandable Stripe field as an id: the string itself, or the expanded object's id."""
    if isinstance(value, dict):
        return str(value["id"]) if value.get("id") else None
    return str(value) if value else None


HANDLERS: dict[str, Handler] = {
    "payment_intent.succeeded": _payment_intent,
    "payment_intent.payment_failed": _payment_intent,
    "setup_intent.succeeded": _setup_intent,
    "payment_method.attached": _payment_method,
    "payment_method.detached": _payment_method,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_payment_failed,
    "charge.refunded": _charge_refunded,
    "charge.dispute.created": _dispute_created,
}
