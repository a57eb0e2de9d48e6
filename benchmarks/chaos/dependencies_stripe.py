"""Scenario "stripe-events": Stripe's webhooks duplicated and reordered, over HTTP, into the stripe-webhook function.

The stripe-webhook function runs under functions-framework (gunicorn, as in production); the Stripe
sandbox delivers every event to it signed, in "immediate" mode with `duplicate_rate` and `shuffle`.
The payments are the webhook-storm test's (tests/integration/test_webhook_storm.py): recharges, some
declined, partial refunds (some twice) and disputes, for organizations created through the API; then
monthly invoices of postpaid organizations, paid (dependencies_invoices). Then stripe-event-replay runs
as the scheduler would. Checks read the final state: balances as Stripe's events tell them, the ledger
equal to the balances, each payment and invoice credited once, every event recorded.
"""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from benchmarks import servers
from benchmarks.chaos.dependencies_bus import PushBus
from benchmarks.chaos.dependencies_invoices import invoice_and_pay
from benchmarks.chaos.dependencies_stack import Stack, sql, stack
from benchmarks.chaos.outcome import Outcome
from shared.adapters.stripe.client import get_stripe_client
from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from tests.integration.test_webhook_storm import URL, _expected_balances, _make_payments

NAME = "stripe-events"
ORGANIZATIONS = 3
INVOICED = 3
DUPLICATE_RATE = 0.5
DELIVERY_BOUND_S = 120.0


def run() -> Outcome:
    started = time.perf_counter()
    with stack(PushBus()) as s, servers.function_process(
            "stripe_webhook", s.env, s.platform.work_dir / "stripe-webhook.log") as function:
        servers.wait_for_health(function)
        s.stripe.add_webhook_endpoint(f"http://127.0.0.1:{function.port}{URL}")
        s.stripe.webhook_mode("immediate", duplicate_rate=DUPLICATE_RATE, shuffle=True)
        customers = _billed_organizations(s)
        _make_payments(get_stripe_client(), s.stripe.base_url, customers, random.Random(7))
        payments = s.stripe.events()  # the recharges' story, before the invoices add theirs
        invoices = invoice_and_pay(s, INVOICED)
        delivered = s.stripe.wait_idle(DELIVERY_BOUND_S)
        s.run_job("stripe_event_replay")
        return _outcome(s, started, Arranged(customers, payments, invoices), delivered)


def _billed_organizations(stack: Stack) -> list[tuple[int, str]]:
    """Organizations created through the API; billing-customers gives each its Stripe customer."""
    ids = [int(stack.api("POST", "/api/v1/organizations", json={
        "name": f"Stripe chaos {n}", "type": "advertiser", "contact_email": f"pay{n}@chaos.example"}).json()[
        "organization_id"]) for n in range(ORGANIZATIONS)]
    stack.bus.wait_idle(60)
    rows = sql("SELECT organization_id, stripe_customer_id FROM billing_accounts WHERE organization_id = ANY(:ids)",
               ids=ids)
    return [(int(row["organization_id"]), str(row["stripe_customer_id"])) for row in rows]


@dataclass(frozen=True)
class Arranged:
    customers: list[tuple[int, str]]  # (organization, Stripe customer) of the recharging organizations
    payments: list[dict[str, Any]]  # Stripe's events up to the last refund and dispute
    invoices: list[str]  # the Stripe ids of the paid monthly invoices


def reordered(events: list[dict[str, Any]], deliveries: list[dict[str, Any]]) -> int:
    """Deliveries of an event created before the one delivered just before it."""
    order = {event["id"]: index for index, event in enumerate(events)}
    indexes = [order.get(delivery["event"], -1) for delivery in deliveries]
    return sum(later < earlier for earlier, later in itertools.pairwise(indexes))


def _outcome(stack: Stack, started: float, arranged: Arranged, delivered: bool) -> Outcome:
    events = stack.stripe.events()
    deliveries = [d for d in stack.stripe.deliveries() if d["status"] is not None and 200 <= int(d["status"]) < 300]
    per_event = Counter(d["event"] for d in deliveries)
    recorded = {row["stripe_event_id"]: row["status"] for row in sql(
        "SELECT stripe_event_id, status FROM stripe_events")}
    balances = {row["customer"]: int(row["balance_cents"]) for row in sql(
        "SELECT stripe_customer_id AS customer, balance_cents FROM billing_accounts WHERE stripe_customer_id = ANY(:c)",
        c=[customer for _, customer in arranged.customers])}
    succeeded = {str(e["data"]["object"]["id"]) for e in arranged.payments if e["type"] == "payment_intent.succeeded"}
    invoice_credits = Counter(str(row["invoice"]) for row in sql(
        "SELECT stripe_invoice_id AS invoice FROM transactions WHERE type = 'invoice_payment'"))
    credited = Counter(str(row["intent"]) for row in sql(
        "SELECT p.stripe_payment_intent_id AS intent FROM transactions t JOIN payments p"
        " ON t.entry_key = 'payment:' || p.payment_id WHERE t.type = 'recharge'"))
    with UnitOfWork(TenantScope.everything()) as uow:
        discrepancies = uow.ledger.discrepancies()
    checks = {
        f"every event delivered within {DELIVERY_BOUND_S:.0f} s": delivered,
        "some events delivered twice and some reordered": max(per_event.values(), default=0) > 1
        and reordered(events, deliveries) > 0,
        "every event id recorded once (none lost)": set(recorded) == {str(e["id"]) for e in events},
        "no failed event left after stripe-event-replay": "failed" not in recorded.values(),
        "balances equal what Stripe's events say": balances == _expected_balances(arranged.payments,
                                                                                   arranged.customers),
        "ledger sums equal balances (discrepancies() empty)": discrepancies == [],
        "each successful payment credited exactly once": credited == Counter(succeeded),
        "each paid invoice credited exactly once": bool(arranged.invoices)
        and invoice_credits == Counter(arranged.invoices),
    }
    return Outcome(NAME, time.perf_counter() - started, checks, {
        "events": len(events),
        "events by type": ", ".join(f"{k} {v}" for k, v in sorted(Counter(str(e["type"]) for e in events).items())),
        "deliveries answered 2xx": len(deliveries),
        "duplicate deliveries": len(deliveries) - len(per_event),
        "reordered deliveries (after a later event)": reordered(events, deliveries),
        "non-2xx answers (retried by the sandbox)": sum(1 for d in stack.stripe.deliveries()
                                                        if d["status"] is None or int(d["status"]) >= 300),
        "payments credited": sum(credited.values()),
        "invoices paid / credited": f"{len(arranged.invoices)} / {sum(invoice_credits.values())}",
        "recorded events by status": ", ".join(f"{k} {v}" for k, v in sorted(Counter(recorded.values()).items())),
    })
