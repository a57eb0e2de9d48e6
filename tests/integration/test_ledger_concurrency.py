"""The issue's proof: concurrent recharges and debits on one account end at the exact balance.

Recharges go through the real service against the Stripe sandbox (the PaymentIntent succeeds at once and
our answer books it) while the sandbox delivers the same `payment_intent.succeeded` events to the live
webhook function, which tries to book them too; every recharge is also sent twice under one
Idempotency-Key. Debits go through `uow.ledger.post` held to the prepaid floor. Whatever the
interleaving, each payment is booked once, no debit takes the balance below zero, and the balance is
the sum of the entries.
"""

from __future__ import annotations

import itertools
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal

import pytest

from shared.adapters.stripe.errors import PaymentProviderUnavailable
from shared.db.uow import UnitOfWork
from shared.domain.errors import Conflict
from shared.domain.ledger import EntryType, InsufficientFunds, NewEntry, PaymentStatus
from shared.domain.principal import Actor, Principal, TenantScope
from shared.domain.roles import Role
from shared.schemas.billing_accounts import PaymentMethodCreate, RechargeCreate
from shared.services.payment_methods import add_payment_method
from shared.services.recharges import recharge

RECHARGES = 50  # each sent twice with the same key: 100 recharge calls
DEBITS = 50
WEBHOOK = "/api/v1/public/webhooks/stripe"


@dataclass(frozen=True)
class Outcome:
    kind: str
    cents: int
    booked: bool


@pytest.fixture
def manager(make_org, make_user) -> Actor:
    org = make_org("advertiser")
    user = make_user(Role.ADVERTISER_MANAGER, org)
    return Actor(Principal(user.user_id, Role.ADVERTISER_MANAGER, org), request_id="ledger-concurrency")


def _recharge(actor: Actor, index: int) -> Outcome:
    cents = 100 + index * 7
    amount = Decimal(cents).scaleb(-2)
    try:
        outcome = recharge(None, RechargeCreate(amount=amount), f"key:load-{index}", uow=UnitOfWork(actor.scope),
                           actor=actor)
    except (Conflict, PaymentProviderUnavailable):  # the twin call is still in flight at Stripe
        return Outcome("recharge", cents, booked=False)
    assert outcome.payment.status is PaymentStatus.SUCCEEDED
    return Outcome("recharge", cents, booked=True)


def _debit(organization_id: int, index: int) -> Outcome:
    cents = 50 + index * 11
    try:
        with UnitOfWork(TenantScope.everything()) as uow:
            uow.ledger.post(organization_id, NewEntry(EntryType.DEBIT, -cents, f"debit:{index}", "Load debit"),
                            enforce_floor=True)
            uow.commit()
    except InsufficientFunds:
        return Outcome("debit", cents, booked=False)
    return Outcome("debit", cents, booked=True)


def test_concurrent_recharges_webhooks_and_debits_end_at_the_exact_balance(
        api, stripe_sandbox, manager, sql) -> None:
    organization_id = manager.user.organization_id
    assert organization_id is not None
    add_payment_method(None, PaymentMethodCreate(payment_method_id="pm_card_visa"), uow=UnitOfWork(manager.scope),
                       actor=manager)
    stripe_sandbox.add_webhook_endpoint(api.base_url + WEBHOOK)
    jobs = [("recharge", i) for i in range(RECHARGES)] * 2 + [("debit", i) for i in range(DEBITS)]
    random.Random(7).shuffle(jobs)  # recharges, their twins and debits interleaved
    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = [pool.submit(_recharge, manager, i) if kind == "recharge" else pool.submit(_debit, organization_id, i)
                   for kind, i in jobs]
        outcomes = [f.result() for f in futures]
    assert stripe_sandbox.wait_idle(60)

    recharged = sum(100 + i * 7 for i in range(RECHARGES))
    debited = sum(o.cents for o in outcomes if o.kind == "debit" and o.booked)
    expected = recharged - debited
    entries = sql("SELECT type, amount_cents, balance_before_cents, balance_after_cents, entry_key FROM transactions"
                  " WHERE organization_id = :org ORDER BY transaction_id", org=organization_id)
    [account] = sql("SELECT balance_cents FROM billing_accounts WHERE organization_id = :org", org=organization_id)
    payments = sql("SELECT status, count(*) AS n FROM payments WHERE organization_id = :org GROUP BY status",
                   org=organization_id)

    assert payments == [{"status": "succeeded", "n": RECHARGES}]
    assert account["balance_cents"] == expected == sum(int(e["amount_cents"]) for e in entries)
    assert len([e for e in entries if e["type"] == "recharge"]) == RECHARGES
    assert len({e["entry_key"] for e in entries}) == len(entries)  # no entry twice
    assert all(int(e["balance_after_cents"]) >= 0 for e in entries)  # prepaid never below zero
    assert all(a["balance_after_cents"] == b["balance_before_cents"] for a, b in itertools.pairwise(entries))
    with UnitOfWork(TenantScope.everything()) as uow:
        assert uow.ledger.discrepancies() == []
    assert any(o.booked for o in outcomes if o.kind == "debit")
    succeeded = [d for d in stripe_sandbox.deliveries() if d["type"] == "payment_intent.succeeded"]
    assert (len(succeeded), {d["status"] for d in succeeded}) == (RECHARGES, {200})  # the webhook raced us
