"""Our payments and their PaymentIntents: the one place an intent is created, and the one place its state
is applied, so the one place a recharge succeeds or fails.

Our synchronous answer, the webhook, the replay job and the reconciliation of stale payments all
come here with the intent as Stripe showed it and when (`created` of the event, or now). The state
is applied when newer than ours; a success books the recharge once (`payment:<id>`), whichever
caller gets here first.
"""

from __future__ import annotations

import logging
from typing import Any

import stripe as stripe_lib
from stripe.params import PaymentIntentCreateParams

from shared.adapters.stripe.errors import PaymentDeclined, stripe_errors, translate
from shared.db.uow import UnitOfWork
from shared.domain.events import DomainEvent
from shared.domain.ledger import EntryType, NewEntry, Payment, PaymentStatus, format_amount

log = logging.getLogger(__name__)


def submit_payment(client: stripe_lib.StripeClient, payment: Payment, customer_id: str, *,
                   off_session: bool) -> tuple[dict[str, Any], PaymentDeclined | None]:
    """Create and confirm the payment's PaymentIntent on its card; the intent, and the decline if there was one.

    Keyed `payment:<id>` and carrying our payment id in its metadata, so a retry gets the same intent
    and a webhook that overtakes our answer finds the payment. A declined card's failed intent comes
    back with the decline (Stripe puts it in the error); no answer from Stripe raises.
    """
    assert payment.stripe_payment_method_id is not None, "a payment names the method it charges"
    params: PaymentIntentCreateParams = {
        "amount": payment.amount_cents, "currency": payment.currency.lower(), "customer": customer_id,
        "payment_method": payment.stripe_payment_method_id, "confirm": True, "allowed_payment_method_types": ["card"],
        "metadata": {"organization_id": str(payment.organization_id), "payment_id": str(payment.payment_id),
                     "purpose": payment.purpose.value},
    }
    if off_session:
        params["off_session"] = True
    if payment.description:
        params["description"] = payment.description
    with stripe_errors():
        try:
            created = client.v1.payment_intents.create(
                params=params, options={"idempotency_key": f"payment:{payment.payment_id}"})
        except stripe_lib.CardError as error:
            intent = _intent_of(error)
            if intent is None:
                raise
            declined = translate(error)
            assert isinstance(declined, PaymentDeclined)
            return intent, declined
    return created.to_dict(), None


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


def _intent_of(error: stripe_lib.CardError) -> dict[str, Any] | None:
    body = error.json_body if isinstance(error.json_body, dict) else {}
    intent = (body.get("error") or {}).get("payment_intent")
    return intent if isinstance(intent, dict) and intent.get("id") else None
