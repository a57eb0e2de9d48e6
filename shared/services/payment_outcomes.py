"""A PaymentIntent's state, applied to our payment: the one place a recharge succeeds or fails.

Our synchronous answer, the webhook, the replay job and the reconciliation of stale payments all
come here with the intent as Stripe showed it and when (`created` of the event, or now). The state
is applied when newer than ours; a success books the recharge once (`payment:<id>`), whichever
caller gets here first.
"""

from __future__ import annotations

import logging
from typing import Any

from shared.db.uow import UnitOfWork
from shared.domain.events import DomainEvent
from shared.domain.ledger import EntryType, NewEntry, Payment, PaymentStatus, format_amount

log = logging.getLogger(__name__)


def apply_payment_intent(uow: UnitOfWork, intent: dict[str, Any], stripe_created: int) -> Payment | None:
    """Apply `intent` (a Stripe PaymentIntent object) inside the caller's transaction.

    None when the intent is not one of our payments, or carries older news than we hold.
    """
    payment = _our_payment(uow, intent)
    if payment is None:
        return None
    status = PaymentStatus.from_intent(str(intent.get("status")))
    error = intent.get("last_payment_error") or {}
    applied = uow.payments.apply_intent(
        payment.payment_id, intent_id=str(intent["id"]), status=status, stripe_created=stripe_created,
        charge_id=_charge_id(intent), failure_code=error.get("decline_code") or error.get("code"),
        failure_message=error.get("message"))
    if applied is None or applied.status is payment.status:
        return applied
    if applied.status is PaymentStatus.SUCCEEDED:
        _book(uow, applied, int(intent.get("amount_received") or applied.amount_cents))
    if applied.status in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED):
        _announce(uow, applied)
    return applied


def _our_payment(uow: UnitOfWork, intent: dict[str, Any]) -> Payment | None:
    """By the payment id we put in the intent's metadata (the intent id may not be stored yet), else by intent."""
    metadata = intent.get("metadata") or {}
    payment_id = str(metadata.get("payment_id") or "")
    payment = uow.payments.lock(int(payment_id)) if payment_id.isdigit() else None
    if payment is None:
        found = uow.payments.by_intent(str(intent["id"]))
        payment = uow.payments.lock(found.payment_id) if found else None
    if payment is not None and payment.stripe_payment_intent_id not in (None, intent["id"]):
        return None  # metadata naming another intent's payment: not ours to change
    return payment


def _book(uow: UnitOfWork, payment: Payment, amount_cents: int) -> None:
    label = "Automatic recharge" if payment.purpose.value == "auto_recharge" else "Recharge"
    uow.ledger.post(payment.organization_id, NewEntry(
        EntryType.RECHARGE, amount_cents, f"payment:{payment.payment_id}", payment.description or label,
        reference_type="payment", reference_id=str(payment.payment_id),
        stripe_payment_intent_id=payment.stripe_payment_intent_id, stripe_charge_id=payment.stripe_charge_id,
        metadata={"purpose": payment.purpose.value}))


def _announce(uow: UnitOfWork, payment: Payment) -> None:
    """An activity for the organization, and the log line the payment-failure alert counts."""
    outcome = payment.status.value
    amount = str(format_amount(payment.amount_cents, payment.currency))
    uow.outbox.add(DomainEvent(f"payment.{outcome}", "payment", str(payment.payment_id), payment.organization_id,
                               payload={"payment_id": payment.payment_id, "amount": amount,
                                        "currency": payment.currency, "purpose": payment.purpose.value,
                                        "description": payment.description or "",
                                        "failure_message": payment.failure_message or ""}))
    log.log(logging.WARNING if payment.status is PaymentStatus.FAILED else logging.INFO,
            "payment %s %s", payment.payment_id, outcome,
            extra={"fields": {"payment_outcome": outcome, "payment_id": payment.payment_id,
                              "organization_id": payment.organization_id, "failure_code": payment.failure_code}})


def _charge_id(intent: dict[str, Any]) -> str | None:
    charge = intent.get("latest_charge")
    if isinstance(charge, dict):
        return str(charge.get("id"))
    return str(charge) if charge else None
