"""Automatic recharge: top a prepaid balance up, off-session, once it fell under the account's threshold.

Like a recharge, the payment row is committed before Stripe hears of it and the PaymentIntent is keyed
`payment:<id>`; its outcome goes through `apply_payment_intent`, which books `payment:<id>` once. At
most one automatic recharge is open per account (a unique index): the key names the ledger state that
triggered it, so two callers reacting to the same dip share one payment, and a later dip while one
is still open is refused by the index rather than charged twice.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import stripe as stripe_lib
from pg8000.exceptions import DatabaseError

from shared.adapters.stripe.client import get_stripe_client
from shared.adapters.stripe.errors import PaymentDeclined, PaymentProviderUnavailable
from shared.db.session import sqlstate
from shared.db.uow import UnitOfWork
from shared.domain.ledger import BillingAccount, Payment, PaymentPurpose
from shared.domain.principal import TenantScope
from shared.services.payment_outcomes import apply_payment_intent, submit_payment

log = logging.getLogger(__name__)
UNIQUE_VIOLATION = "23505"
DESCRIPTION = "Automatic recharge"


def system_uow() -> UnitOfWork:
    """Scheduled work is cross-tenant."""
    return UnitOfWork(TenantScope.everything())


def top_up(organization_id: int, *, uow_factory: Callable[[], UnitOfWork] = system_uow,
           stripe: stripe_lib.StripeClient | None = None) -> Payment | None:
    """Charge the default payment method for the account's recharge amount when it needs one; the payment, or None.

    None when the account does not need a recharge (disabled, above the threshold, no payment method
    or customer) or another automatic recharge is already open. A decline leaves the payment failed;
    Stripe unavailable leaves it pending, for the stale-payment reconciliation to settle.
    """
    payment = _record(organization_id, uow_factory)
    if payment is None or not payment.submittable(datetime.now(UTC)):
        return payment
    try:
        intent = _create_intent(stripe or get_stripe_client(), payment, uow_factory)
    except (PaymentProviderUnavailable, PaymentDeclined) as error:
        log.warning("automatic recharge %s left pending: %s", payment.payment_id, error)
        return payment
    with uow_factory() as uow:
        applied = apply_payment_intent(uow, intent, int(time.time()))
        current = uow.payments.get(payment.payment_id)
        uow.commit()
    return current or applied


def _record(organization_id: int, uow_factory: Callable[[], UnitOfWork]) -> Payment | None:
    """The pending payment of this dip, committed before Stripe is called; None when none is due."""
    with uow_factory() as uow:
        account = uow.billing_accounts.get(organization_id, lock=True)
        if account is None or not account.needs_recharge() or account.stripe_customer_id is None:
            return None
        if any(p.purpose is PaymentPurpose.AUTO_RECHARGE for p in uow.payments.open_for(organization_id)):
            return None
        try:
            payment, _ = uow.payments.add(
                account, purpose=PaymentPurpose.AUTO_RECHARGE, amount_cents=account.auto_recharge_amount_cents,
                idempotency_key=_key(uow, account), request_digest=_digest(account),
                payment_method_id=account.default_payment_method_id, description=DESCRIPTION, created_by=None)
        except DatabaseError as error:
            if sqlstate(error) != UNIQUE_VIOLATION:
                raise
            return None  # another automatic recharge opened meanwhile (the partial unique index)
        uow.commit()
    return payment


def _key(uow: UnitOfWork, account: BillingAccount) -> str:
    """Names the ledger state that called for this recharge: the account's latest entry."""
    latest = uow.ledger.recent(account.organization_id, 1)
    return f"auto_recharge:{latest[0].transaction_id if latest else 0}"


def _digest(account: BillingAccount) -> str:
    fields = f"{account.auto_recharge_amount_cents}:{account.currency}:{account.default_payment_method_id}"
    return hashlib.sha256(fields.encode()).hexdigest()


def _create_intent(client: stripe_lib.StripeClient, payment: Payment,
                   uow_factory: Callable[[], UnitOfWork]) -> dict[str, Any]:
    """An off-session PaymentIntent confirmed now; a declined card's failed intent is what comes back."""
    with uow_factory() as uow:
        account = uow.billing_accounts.get(payment.organization_id)
    assert account is not None and account.stripe_customer_id is not None
    intent, _ = submit_payment(client, payment, account.stripe_customer_id, off_session=True)
    return intent
