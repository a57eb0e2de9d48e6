"""Recharges: top up a prepaid balance by card, once per idempotency key, whatever fails in between.

1. The payment row is committed first under the caller's Idempotency-Key (the same key with the same
   request finds it again; with another request it is a 409).
2. The PaymentIntent is created outside any transaction, keyed `payment:<id>` and carrying our payment
   id in its metadata, so a retry, or a webhook that overtakes our answer, lands on the same payment.
3. Its outcome is applied by `apply_payment_intent`, the one place a recharge succeeds: a success
   books the ledger entry `payment:<id>` once, whichever of us and the webhook gets there first.
Stripe unavailable leaves the payment pending; the same Idempotency-Key resumes it within SUBMIT_WITHIN,
after which the reconciliation settles it from Stripe or cancels it.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import stripe as stripe_lib

from shared.adapters.stripe.client import get_stripe_client
from shared.adapters.stripe.errors import PaymentDeclined, PaymentProviderUnavailable, stripe_errors
from shared.db.uow import UnitOfWork
from shared.domain.errors import Conflict, NotFound, ValidationFailed
from shared.domain.ledger import (
    AccountStatus,
    BillingAccount,
    LedgerEntry,
    Payment,
    PaymentPurpose,
    PaymentStatus,
    parse_amount,
)
from shared.domain.principal import Actor
from shared.schemas.billing_accounts import RechargeCreate
from shared.services.billing import target_organization
from shared.services.billing_customers import open_account
from shared.services.payment_outcomes import apply_payment_intent, submit_payment

OPEN = (PaymentStatus.PENDING, PaymentStatus.PROCESSING, PaymentStatus.REQUIRES_ACTION)


@dataclass(frozen=True)
class RechargeOutcome:
    """The payment as it stands, its ledger entry once it succeeded, and what Stripe.js needs to finish it."""

    payment: Payment
    entry: LedgerEntry | None = None
    client_secret: str | None = None
    next_action: dict[str, Any] | None = None


@dataclass(frozen=True)
class _Request:
    account: BillingAccount
    amount_cents: int
    payment_method_id: str
    description: str | None

    @property
    def digest(self) -> str:
        """What identifies the request behind an Idempotency-Key: its effect, not its spelling."""
        fields = [self.amount_cents, self.account.currency, self.payment_method_id, self.description]
        return hashlib.sha256(json.dumps(fields).encode()).hexdigest()


def recharge(organization_id: int | None, cmd: RechargeCreate, idempotency_key: str, *, uow: UnitOfWork,
             actor: Actor, stripe: stripe_lib.StripeClient | None = None) -> RechargeOutcome:
    """Charge the card and credit the balance once it succeeded; 402 on a decline, 503 while Stripe is down."""
    payment = _record(organization_id, cmd, idempotency_key, uow, actor)
    if payment.status is PaymentStatus.SUCCEEDED:
        return RechargeOutcome(payment, _entry(uow, payment))
    if payment.status is PaymentStatus.FAILED:
        raise _declined(payment)
    if payment.status is PaymentStatus.CANCELED:
        return RechargeOutcome(payment)
    client = stripe or get_stripe_client()
    if payment.stripe_payment_intent_id is not None:
        intent, declined = _retrieve_intent(client, payment.stripe_payment_intent_id), None
    elif payment.submittable(datetime.now(UTC)):
        intent, declined = _create_intent(client, payment, uow)
    else:
        raise Conflict("This payment did not reach Stripe in time and will be canceled; nothing was charged."
                       " Retry with a new Idempotency-Key.")
    outcome = _apply(uow, payment, intent)
    if declined is not None or outcome.payment.status is PaymentStatus.FAILED:
        raise _declined(outcome.payment, declined)
    return outcome


def get_payment(organization_id: int | None, payment_id: int, *, uow: UnitOfWork, actor: Actor,
                stripe: stripe_lib.StripeClient | None = None) -> RechargeOutcome:
    """A payment of the organization; one still open is refreshed from Stripe (polling after 3-D Secure)."""
    with uow:
        org_id = target_organization(uow, actor, organization_id)
        payment = uow.payments.get(payment_id)
        if payment is None or payment.organization_id != org_id:
            raise NotFound(f"Payment {payment_id} was not found.")
    if payment.status in OPEN and payment.stripe_payment_intent_id:
        try:
            intent = _retrieve_intent(stripe or get_stripe_client(), payment.stripe_payment_intent_id)
        except PaymentProviderUnavailable:
            return RechargeOutcome(payment, None)  # Stripe is down: what we know is still the answer
        return _apply(uow, payment, intent)
    return RechargeOutcome(payment, _entry(uow, payment))


def _record(organization_id: int | None, cmd: RechargeCreate, idempotency_key: str, uow: UnitOfWork,
            actor: Actor) -> Payment:
    """The payment under this key, committed before Stripe hears of it (a new one, or the earlier one)."""
    with uow:
        org_id = target_organization(uow, actor, organization_id)
        _, account = open_account(uow, org_id)
        request = _validated(uow, account, cmd)
        payment, _ = uow.payments.add(
            account, purpose=PaymentPurpose.RECHARGE, amount_cents=request.amount_cents,
            idempotency_key=idempotency_key, request_digest=request.digest,
            payment_method_id=request.payment_method_id, description=request.description,
            created_by=actor.user.user_id)
        if payment.request_digest != request.digest:
            raise Conflict("This Idempotency-Key was used for another request.")
        uow.commit()
    return payment


def _validated(uow: UnitOfWork, account: BillingAccount, cmd: RechargeCreate) -> _Request:
    if account.status is not AccountStatus.ACTIVE:
        raise Conflict(f"The billing account is {account.status.value}; only active accounts may recharge.")
    if cmd.currency is not None and cmd.currency != account.currency:
        raise ValidationFailed(f"The account is billed in {account.currency}.", details=[
            {"field": "currency", "location": "body", "message": f"must be {account.currency}"}])
    try:
        amount_cents = parse_amount(cmd.amount, account.currency)
    except ValidationFailed as error:
        raise ValidationFailed(error.message, details=[
            {"field": "amount", "location": "body", "message": error.message}]) from error
    method_id = cmd.payment_method_id or account.default_payment_method_id
    if method_id is None:
        raise ValidationFailed("There is no payment method to charge: add one first, or pass payment_method_id.")
    method = uow.payment_methods.by_stripe_id(method_id)
    if method is None or method.organization_id != account.organization_id or method.status != "active":
        raise NotFound(f"Payment method {method_id} was not found.")
    return _Request(account, amount_cents, method_id, cmd.description)


def _create_intent(client: stripe_lib.StripeClient, payment: Payment,
                   uow: UnitOfWork) -> tuple[dict[str, Any], PaymentDeclined | None]:
    with uow:
        account = uow.billing_accounts.get(payment.organization_id)
    assert account is not None and account.stripe_customer_id is not None, "a saved method implies a customer"
    return submit_payment(client, payment, account.stripe_customer_id, off_session=False)


def _retrieve_intent(client: stripe_lib.StripeClient, intent_id: str) -> dict[str, Any]:
    with stripe_errors():
        return client.v1.payment_intents.retrieve(intent_id).to_dict()


def _apply(uow: UnitOfWork, payment: Payment, intent: dict[str, Any]) -> RechargeOutcome:
    """Apply what Stripe answered (now) and read back the payment, whoever applied it."""
    with uow:
        apply_payment_intent(uow, intent, int(time.time()))
        current = uow.payments.get(payment.payment_id)
        assert current is not None
        entry = uow.ledger.by_key(f"payment:{payment.payment_id}")
        uow.commit()
    secret = intent.get("client_secret") if current.status is PaymentStatus.REQUIRES_ACTION else None
    action = intent.get("next_action") if current.status is PaymentStatus.REQUIRES_ACTION else None
    return RechargeOutcome(current, entry, secret, action)


def _entry(uow: UnitOfWork, payment: Payment) -> LedgerEntry | None:
    with uow:
        return uow.ledger.by_key(f"payment:{payment.payment_id}")


def _declined(payment: Payment, declined: PaymentDeclined | None = None) -> PaymentDeclined:
    """402 with Stripe's decline code and our payment id (the same answer when the key is replayed)."""
    details = dict((declined.details or {}) if declined else {})
    details.setdefault("decline_code", payment.failure_code)
    details["payment_id"] = payment.payment_id
    details["payment_intent"] = payment.stripe_payment_intent_id
    message = (declined.message if declined else None) or payment.failure_message or "The card was declined."
    return PaymentDeclined(message, details=details)
