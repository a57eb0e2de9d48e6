"""Scenario "pubsub-redelivery": every message pushed twice, out of order, concurrently; each effect once.

A workload through the API (new organizations, a catalogue, renames, recharges) publishes its outbox
events to a PushBus that delivers every message twice to each subscriber (everflow-sync,
activity-recorder, billing-customers), each copy at a random moment within a few seconds, eight at a
time. The subscribers' idempotency is what is checked, from the final state: one Everflow object per
entity with its latest fields, one activity per event and organization, one audit row per generated
link URL, one ledger entry per payment, one Stripe customer per organization, no unpublished event.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter

from benchmarks.chaos.dependencies_bus import PushBus
from benchmarks.chaos.dependencies_catalogue import Shape, census, create, drifted
from benchmarks.chaos.dependencies_stack import Stack, sql, stack
from benchmarks.chaos.outcome import Outcome

NAME = "pubsub-redelivery"
SHAPE = Shape(advertisers=20, affiliates=20, campaigns_per_advertiser=2, links_per_campaign=2)
ORGANIZATIONS = 10
RECHARGES = 5
MANAGER = "advertiser@demo.local"  # the seed's advertiser manager: recharges are a manager's act
COPIES, JITTER_S = 2, 3.0
IDLE_BOUND_S = 120.0


def run() -> Outcome:
    started = time.perf_counter()
    bus = PushBus(copies=COPIES, jitter_s=JITTER_S, workers=8)
    with stack(bus) as s:
        failures = _workload(s)
        idle = bus.wait_idle(IDLE_BOUND_S)
        s.run_job("outbox_relay")  # whatever an after-commit publish missed, as the scheduler would
        idle = bus.wait_idle(IDLE_BOUND_S) and idle
        return _outcome(s, started, failures, idle)


def _workload(stack: Stack) -> int:
    """Organizations, a catalogue, renames and recharges through the API; return the failed requests."""
    failed = create(stack, SHAPE, "redelivery")
    for n in range(ORGANIZATIONS):
        failed += not stack.api("POST", "/api/v1/organizations", json={
            "name": f"Redelivery org {n}", "type": "advertiser", "contact_email": f"org{n}@chaos.example"}).ok
    for row in sql("SELECT advertiser_id FROM advertisers ORDER BY advertiser_id LIMIT :n", n=SHAPE.advertisers):
        failed += not stack.api("PUT", f"/api/v1/advertisers/{row['advertiser_id']}",
                                json={"name": f"Renamed {row['advertiser_id']}"}).ok
    manager = stack.headers_of(MANAGER)
    failed += not stack.api("POST", "/api/v1/billing/payment-methods", headers=manager,
                            json={"payment_method_id": "pm_card_visa"}).ok
    for n in range(RECHARGES):
        failed += not stack.api("POST", "/api/v1/billing/recharge", json={"amount": f"{10 + n}.00"},
                                headers={**manager, "Idempotency-Key": uuid.uuid4().hex}).ok
    return failed


def _duplicates(query: str) -> int:
    return len(sql(query))


def _customers(stack: Stack) -> tuple[int, int]:
    """(organizations without exactly one Stripe customer, accounts whose customer is not that one)."""
    created = Counter(str(event["data"]["object"]["metadata"].get("organization_id"))
                      for event in stack.stripe.events("customer.created"))
    accounts = sql("SELECT organization_id, stripe_customer_id FROM billing_accounts WHERE organization_id IN"
                   " (SELECT organization_id FROM organizations WHERE name LIKE 'Redelivery%')")
    not_once = sum(created[str(row["organization_id"])] != 1 for row in accounts)
    unstored = sum(not row["stripe_customer_id"] or stack.stripe.get(str(row["stripe_customer_id"])) is None
                   for row in accounts)
    return not_once, unstored


def _outcome(stack: Stack, started: float, failures: int, idle: bool) -> Outcome:
    bus, final = stack.bus, census(stack)
    deliveries = list(bus.received.values())
    not_once, unstored = _customers(stack)
    unpublished = int(sql("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")[0]["n"])
    activities = int(sql("SELECT count(*) AS n FROM activities WHERE event_id IS NOT NULL")[0]["n"])
    ledger = sql("SELECT count(*) AS n, count(DISTINCT entry_key) AS keys FROM transactions")[0]
    checks = {
        "every workload request answered 2xx": failures == 0,
        "every message reached every subscriber at least twice": len(deliveries) == bus.counts["subscriptions"]
        and min(deliveries, default=0) >= COPIES,
        "some deliveries overtook later messages (out of order)": bus.counts["out_of_order"] > 0,
        f"every delivery finished within {IDLE_BOUND_S:.0f} s": idle,
        "Everflow holds exactly one object per entity": final.converged and final.duplicates == 0,
        "Everflow objects carry the latest fields": drifted(stack) == 0,
        "one activity per event and organization": activities > 0 and _duplicates(
            "SELECT event_id FROM activities WHERE event_id IS NOT NULL GROUP BY event_id, organization_id,"
            " activity_type HAVING count(*) > 1") == 0,
        "one audit row per generated link URL": _duplicates(
            "SELECT entity_id FROM audit_log WHERE action = 'tracking_link.set_url' GROUP BY entity_id"
            " HAVING count(*) > 1") == 0 and final.links_without_url == 0,
        "one ledger entry per payment": int(ledger["n"]) == int(ledger["keys"]) == RECHARGES,
        "one Stripe customer per new organization": not_once == unstored == 0,
        "no unpublished (lost) outbox event": unpublished == 0,
    }
    return Outcome(NAME, time.perf_counter() - started, checks, {
        "messages published": bus.counts["published"],
        "deliveries (first attempts and retries)": bus.counts["delivered"],
        "duplicate deliveries": bus.counts["delivered"] - bus.counts["subscriptions"],
        "out-of-order deliveries": bus.counts["out_of_order"],
        "failed deliveries (redelivered)": bus.counts["failed"],
        "entities": sum(final.entities.values()) + final.links,
        "activities recorded": activities,
        "ledger entries": int(ledger["n"]),
        "new organizations": ORGANIZATIONS,
    })
