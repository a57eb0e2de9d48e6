"""The webhook storm: a thousand Stripe events, shuffled, 30% delivered twice, sixteen at a time, over HTTP.

Every balance must end as Stripe's own state says (recharges received, less refunds and disputes),
no effect may be booked twice, and every account must equal the sum of its ledger.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests
import stripe

from shared.adapters.stripe.client import get_stripe_client
from shared.adapters.stripe.sandbox import SandboxServer, sign
from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.ledger import PaymentPurpose
from shared.domain.principal import TenantScope

URL = "/api/v1/public/webhooks/stripe"
ORGANIZATIONS = 5
PAYMENTS_PER_ORGANIZATION = 55
DECLINED_PER_ORGANIZATION = 2
DISTINCT_EVENTS = 1000
DUPLICATE_SHARE = 0.3
THREADS = 16
STRIPE_RETRIES = 3  # Stripe redelivers what was not answered 2xx


def test_a_storm_of_shuffled_duplicated_concurrent_events_leaves_every_balance_exact(
        api, sql, make_org, stripe_sandbox: SandboxServer) -> None:
    rng = random.Random(7)
    client = get_stripe_client()
    customers = [_billed_organization(make_org(), client) for _ in range(ORGANIZATIONS)]
    _make_payments(client, stripe_sandbox.base_url, customers, rng)
    events = stripe_sandbox.events()[:DISTINCT_EVENTS]  # the last few disputes stay undelivered
    assert len(events) == DISTINCT_EVENTS
    assert {"payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded",
            "charge.dispute.created"} <= {e["type"] for e in events}
    deliveries = events + rng.sample(events, int(DISTINCT_EVENTS * DUPLICATE_SHARE))
    rng.shuffle(deliveries)

    started = time.monotonic()
    answers = _deliver_concurrently(api.base_url, deliveries)
    elapsed = time.monotonic() - started

    assert Counter(a["status"] for a in answers)["duplicate"] == len(deliveries) - DISTINCT_EVENTS
    assert all(a["attempts"] == 1 for a in answers), "every delivery was answered 2xx at once"
    expected = _expected_balances(events, customers)
    actual = {r["customer"]: int(r["balance_cents"]) for r in sql(
        "SELECT stripe_customer_id AS customer, balance_cents FROM billing_accounts")}
    assert actual == expected
    assert sql("SELECT entry_key FROM transactions GROUP BY entry_key HAVING count(*) > 1") == []
    assert sql("SELECT reference_id FROM transactions WHERE type = 'recharge'"
               " GROUP BY reference_id HAVING count(*) > 1") == []
    assert sql("SELECT count(*) AS n FROM stripe_events WHERE status = 'failed'") == [{"n": 0}]
    assert sql("SELECT count(*) AS n FROM stripe_events") == [{"n": DISTINCT_EVENTS}]
    with UnitOfWork(TenantScope.everything()) as uow:
        assert uow.ledger.discrepancies() == []
    assert elapsed < 60, f"the storm took {elapsed:.1f} s"


def _billed_organization(organization_id: int, client: stripe.StripeClient) -> tuple[int, str]:
    customer = client.v1.customers.create({"email": f"billing-{organization_id}@example.com"})
    with UnitOfWork(TenantScope.everything()) as uow:
        uow.billing_accounts.open(organization_id, f"billing-{organization_id}@example.com")
        uow.billing_accounts.set_customer(organization_id, customer.id)
        uow.commit()
    return organization_id, str(customer.id)


def _make_payments(client: stripe.StripeClient, sandbox_url: str, customers: list[tuple[int, str]],
                   rng: random.Random) -> None:
    """Recharges (some declined) for every organization, then refunds (some partial, twice) and disputes."""
    charges: list[str] = []
    for organization_id, customer_id in customers:
        plan = ["pm_card_visa"] * PAYMENTS_PER_ORGANIZATION + ["pm_card_chargeDeclined"] * DECLINED_PER_ORGANIZATION
        for payment_id, card in zip(_payments(organization_id, len(plan), rng), plan, strict=True):
            intent = _pay(client, organization_id, customer_id, payment_id, card)
            if intent is not None:
                charges.append(intent)
    rng.shuffle(charges)
    for intent in charges[:40]:  # partial refunds, a second one on half of them
        client.v1.refunds.create({"payment_intent": intent, "amount": 100})
    for intent in charges[:20]:
        client.v1.refunds.create({"payment_intent": intent, "amount": 250})
    for intent in charges[40:70]:
        requests.post(f"{sandbox_url}/__sandbox/charges/{intent}/dispute", json={"amount": 300},
                      timeout=5).raise_for_status()


def _payments(organization_id: int, count: int, rng: random.Random) -> list[tuple[int, int]]:
    """Pending payments of random amounts, committed before Stripe is called (as the recharge route does)."""
    made = []
    with UnitOfWork(TenantScope.everything()) as uow:
        account = uow.billing_accounts.get(organization_id)
        assert account is not None
        for _ in range(count):
            amount = rng.randrange(1000, 50_000)
            payment, _ = uow.payments.add(account, purpose=PaymentPurpose.RECHARGE, amount_cents=amount,
                                          idempotency_key=uuid.uuid4().hex, request_digest="storm",
                                          payment_method_id=None, description=None, created_by=None)
            made.append((payment.payment_id, amount))
        uow.commit()
    return made


def _pay(client: stripe.StripeClient, organization_id: int, customer_id: str, payment: tuple[int, int],
         card: str) -> str | None:
    payment_id, amount = payment
    params = {"amount": amount, "currency": "usd", "customer": customer_id, "payment_method": card, "confirm": True,
              "metadata": {"payment_id": str(payment_id), "organization_id": str(organization_id),
                           "purpose": "recharge"}}
    try:
        return str(client.v1.payment_intents.create(params, {"idempotency_key": f"payment:{payment_id}"}).id)
    except stripe.CardError:
        return None


def _deliver_concurrently(base_url: str, deliveries: list[dict]) -> list[dict]:
    secret = get_settings().stripe_webhook_secrets[0]
    local = threading.local()

    def deliver(event: dict) -> dict:
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        payload = json.dumps(event).encode()
        for attempt in range(1, STRIPE_RETRIES + 2):
            response = session.post(base_url + URL, data=payload, timeout=30, headers={
                "Content-Type": "application/json", "Stripe-Signature": sign(payload, secret)})
            if response.ok:
                return {"status": response.json()["status"], "attempts": attempt}
            time.sleep(0.05 * attempt)
        return {"status": f"http {response.status_code}", "attempts": attempt}

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(deliver, deliveries))


def _expected_balances(events: list[dict], customers: list[tuple[int, str]]) -> dict[str, int]:
    """Each customer's money as the delivered events tell it: received, less refunded (largest total), less disputed."""
    expected = {customer_id: 0 for _, customer_id in customers}
    refunded: dict[str, tuple[str, int]] = {}
    for event in events:
        obj = event["data"]["object"]
        if event["type"] == "payment_intent.succeeded":
            expected[obj["customer"]] += obj["amount_received"]
        elif event["type"] == "charge.refunded":
            before = refunded.get(obj["id"], ("", 0))[1]
            refunded[obj["id"]] = (obj["customer"], max(before, obj["amount_refunded"]))
        elif event["type"] == "charge.dispute.created":
            expected[_customer_of_charge(events, obj["charge"])] -= obj["amount"]
    for customer_id, amount in refunded.values():
        expected[customer_id] -= amount
    return expected


def _customer_of_charge(events: list[dict], charge_id: str) -> str:
    return next(e["data"]["object"]["customer"] for e in events
                if e["type"] == "charge.succeeded" and e["data"]["object"]["id"] == charge_id)
