"""The Stripe webhook: signatures checked on the raw body, each event applied once, in any order, replayable."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

import pytest
import requests
import stripe
from cloudevents.http import CloudEvent

from functions.stripe_event_replay import stripe_event_replay
from shared.adapters.stripe.client import get_stripe_client
from shared.adapters.stripe.sandbox import SandboxServer, sign
from shared.db.uow import UnitOfWork
from shared.domain.ledger import PaymentPurpose
from shared.domain.principal import TenantScope

URL = "/api/v1/public/webhooks/stripe"


@dataclass(frozen=True)
class Customer:
    organization_id: int
    customer_id: str


@pytest.fixture
def client(stripe_sandbox: SandboxServer) -> stripe.StripeClient:
    return get_stripe_client()


@pytest.fixture
def customer(make_org, client) -> Customer:
    return billed_organization(make_org(), client)


def billed_organization(organization_id: int, client: stripe.StripeClient) -> Customer:
    """An organization with its billing account and Stripe customer."""
    stripe_customer = client.v1.customers.create({"email": f"billing-{organization_id}@example.com"})
    with UnitOfWork(TenantScope.everything()) as uow:
        uow.billing_accounts.open(organization_id, f"billing-{organization_id}@example.com")
        uow.billing_accounts.set_customer(organization_id, stripe_customer.id)
        uow.commit()
    return Customer(organization_id, stripe_customer.id)


def recharge(client: stripe.StripeClient, who: Customer, amount: int, card: str = "pm_card_visa") -> str:
    """Our pending payment, then its PaymentIntent confirmed at Stripe (as the recharge route does); the intent id."""
    with UnitOfWork(TenantScope.everything()) as uow:
        account = uow.billing_accounts.get(who.organization_id)
        assert account is not None
        payment, _ = uow.payments.add(account, purpose=PaymentPurpose.RECHARGE, amount_cents=amount,
                                      idempotency_key=uuid.uuid4().hex, request_digest="test", payment_method_id=None,
                                      description=None, created_by=None)
        uow.commit()
    params = {"amount": amount, "currency": "usd", "customer": who.customer_id, "payment_method": card,
              "confirm": True, "metadata": {"payment_id": str(payment.payment_id),
                                            "organization_id": str(who.organization_id), "purpose": "recharge"}}
    try:
        return str(client.v1.payment_intents.create(params, {"idempotency_key": f"payment:{payment.payment_id}"}).id)
    except stripe.CardError as declined:
        return str(declined.json_body["error"]["payment_intent"]["id"])  # type: ignore[index]


def post(api, event: dict, *, secret: str | None = None, signature: str | None = None) -> requests.Response:
    payload = json.dumps(event).encode()
    header = signature if signature is not None else sign(payload, secret or _secret())
    return api.post(URL, data=payload, headers={"Content-Type": "application/json", "Stripe-Signature": header})


def _secret() -> str:
    from shared.config import get_settings

    return get_settings().stripe_webhook_secrets[0]


def events(sandbox: SandboxServer, type_: str) -> list[dict]:
    return sandbox.events(type_)


def balance(sql, organization_id: int) -> int:
    return int(sql("SELECT balance_cents FROM billing_accounts WHERE organization_id = :o",
                   o=organization_id)[0]["balance_cents"])


def ledger(sql, organization_id: int) -> list[tuple[str, int]]:
    rows = sql("SELECT type, amount_cents FROM transactions WHERE organization_id = :o ORDER BY transaction_id",
               o=organization_id)
    return [(str(r["type"]), int(r["amount_cents"])) for r in rows]


def stored(sql, event_id: str) -> dict:
    return sql("SELECT status, attempts, organization_id, error_message FROM stripe_events"
               " WHERE stripe_event_id = :id", id=event_id)[0]


# --- signatures ----------------------------------------------------------------------------------------

def _event(sandbox: SandboxServer, client: stripe.StripeClient) -> dict:
    client.v1.customers.create({"name": "Acme"})
    return sandbox.events("customer.created")[-1]


def test_a_wrong_secret_is_refused_and_nothing_is_recorded(api, sql, stripe_sandbox, client) -> None:
    response = post(api, _event(stripe_sandbox, client), secret="whsec_not_ours")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert sql("SELECT count(*) AS n FROM stripe_events") == [{"n": 0}]


def test_a_tampered_body_is_refused(api, sql, stripe_sandbox, client) -> None:
    event = _event(stripe_sandbox, client)
    payload = json.dumps(event).encode()
    header = sign(payload, _secret())
    tampered = payload.replace(b'"livemode": false', b'"livemode": true')
    response = api.post(URL, data=tampered, headers={"Content-Type": "application/json", "Stripe-Signature": header})
    assert response.status_code == 400
    assert sql("SELECT count(*) AS n FROM stripe_events") == [{"n": 0}]


def test_a_stale_timestamp_is_refused(api, sql, stripe_sandbox, client) -> None:
    event = _event(stripe_sandbox, client)
    payload = json.dumps(event).encode()
    response = post(api, event, signature=sign(payload, _secret(), int(time.time()) - 3600))
    assert response.status_code == 400
    assert sql("SELECT count(*) AS n FROM stripe_events") == [{"n": 0}]


def test_a_missing_signature_header_is_refused(api, sql, stripe_sandbox, client) -> None:
    event = _event(stripe_sandbox, client)
    response = api.post(URL, data=json.dumps(event).encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert sql("SELECT count(*) AS n FROM stripe_events") == [{"n": 0}]


def test_several_signatures_are_accepted_when_one_of_them_is_valid(api, stripe_sandbox, client) -> None:
    event = _event(stripe_sandbox, client)
    payload = json.dumps(event).encode()
    good = sign(payload, _secret())
    wrong = sign(payload, "whsec_old_secret").split(",")[1]
    response = post(api, event, signature=f"{good.split(',')[0]},{wrong},{good.split(',')[1]}")
    assert response.status_code == 200
    assert response.json() == {"received": True, "status": "ignored"}


def test_a_body_over_a_mebibyte_is_refused(api, stripe_sandbox) -> None:
    payload = b'{"pad": "' + b"x" * (1 << 20) + b'"}'
    response = api.post(URL, data=payload, headers={"Content-Type": "application/json",
                                                    "Stripe-Signature": sign(payload, _secret())})
    assert response.status_code == 413


def test_a_signed_body_that_is_not_an_event_is_400(api, stripe_sandbox) -> None:
    response = post(api, {"hello": "world"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"


# --- exactly once ---------------------------------------------------------------------------------------

def test_a_duplicate_payment_event_is_applied_once(api, sql, stripe_sandbox, client, customer) -> None:
    recharge(client, customer, 2500)
    event = events(stripe_sandbox, "payment_intent.succeeded")[-1]
    answers = [post(api, event).json()["status"] for _ in range(3)]
    assert answers == ["processed", "duplicate", "duplicate"]
    assert balance(sql, customer.organization_id) == 2500
    assert ledger(sql, customer.organization_id) == [("recharge", 2500)]
    assert stored(sql, event["id"])["organization_id"] == customer.organization_id


def test_a_payment_failed_event_fails_the_payment_and_books_nothing(api, sql, stripe_sandbox, client,
                                                                      customer) -> None:
    recharge(client, customer, 2500, card="pm_card_chargeDeclined")
    event = events(stripe_sandbox, "payment_intent.payment_failed")[-1]
    assert post(api, event).json()["status"] == "processed"
    assert sql("SELECT status, failure_code FROM payments") == [{"status": "failed", "failure_code": "generic_decline"}]
    assert ledger(sql, customer.organization_id) == []


def test_an_unknown_event_type_is_recorded_as_ignored(api, sql, stripe_sandbox, client) -> None:
    event = _event(stripe_sandbox, client)
    assert post(api, event).json() == {"received": True, "status": "ignored"}
    assert stored(sql, event["id"])["status"] == "ignored"


def test_events_of_customers_we_do_not_know_are_ignored(api, sql, stripe_sandbox, client) -> None:
    stranger = client.v1.customers.create({"name": "Not ours"})
    intent = client.v1.payment_intents.create({"amount": 900, "currency": "usd", "customer": stranger.id,
                                               "payment_method": "pm_card_visa", "confirm": True})
    client.v1.refunds.create({"payment_intent": intent.id})
    for type_ in ("payment_intent.succeeded", "charge.refunded"):
        event = events(stripe_sandbox, type_)[-1]
        assert post(api, event).json()["status"] == "ignored"
    assert sql("SELECT count(*) AS n FROM transactions") == [{"n": 0}]


# --- payment methods ------------------------------------------------------------------------------------

def methods(sql, organization_id: int) -> list[tuple[str, str, bool]]:
    rows = sql("SELECT m.stripe_payment_method_id AS pm, m.status,"
               " m.stripe_payment_method_id IS NOT DISTINCT FROM a.default_payment_method_id AS is_default"
               " FROM payment_methods m JOIN billing_accounts a USING (billing_account_id)"
               " WHERE m.organization_id = :o ORDER BY m.payment_method_id", o=organization_id)
    return [(str(r["pm"]), str(r["status"]), bool(r["is_default"])) for r in rows]


def test_a_succeeded_setup_intent_saves_the_card_as_the_first_default(api, sql, stripe_sandbox, client,
                                                                        customer) -> None:
    intent = client.v1.setup_intents.create({"customer": customer.customer_id, "usage": "off_session"})
    confirmed = client.v1.setup_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})
    assert post(api, events(stripe_sandbox, "setup_intent.succeeded")[-1]).json()["status"] == "processed"
    assert methods(sql, customer.organization_id) == [(confirmed.payment_method, "active", True)]


def test_attach_and_detach_delivered_out_of_order_end_as_stripe_holds_them(api, sql, stripe_sandbox, client,
                                                                             customer) -> None:
    first = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.customer_id}).id
    second = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.customer_id}).id
    client.v1.payment_methods.detach(first)
    for event in reversed(events(stripe_sandbox, "payment_method.attached")
                          + events(stripe_sandbox, "payment_method.detached")):
        assert post(api, event).json()["status"] == "processed"
    assert methods(sql, customer.organization_id) == [(second, "active", True)]


def test_detaching_the_default_moves_the_default_to_a_remaining_card(api, sql, stripe_sandbox, client,
                                                                    customer) -> None:
    first = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.customer_id}).id
    second = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.customer_id}).id
    for event in events(stripe_sandbox, "payment_method.attached"):
        post(api, event)
    client.v1.payment_methods.detach(first)
    post(api, events(stripe_sandbox, "payment_method.detached")[-1])
    assert sorted(methods(sql, customer.organization_id)) == sorted([(first, "inactive", False),
                                                                      (second, "active", True)])


# --- refunds and disputes -------------------------------------------------------------------------------

def test_partial_refunds_delivered_twice_and_out_of_order_book_the_refunded_total_once(
        api, sql, stripe_sandbox, client, customer) -> None:
    intent = recharge(client, customer, 10_000)
    post(api, events(stripe_sandbox, "payment_intent.succeeded")[-1])
    client.v1.refunds.create({"payment_intent": intent, "amount": 3000})
    client.v1.refunds.create({"payment_intent": intent, "amount": 2000})
    older, newer = events(stripe_sandbox, "charge.refunded")
    answers = [post(api, e).json()["status"] for e in (newer, older, newer, older)]
    assert answers == ["processed", "processed", "duplicate", "duplicate"]
    assert balance(sql, customer.organization_id) == 5000
    assert ledger(sql, customer.organization_id) == [("recharge", 10_000), ("refund", -5000)]


def test_partial_refunds_in_order_book_each_difference(api, sql, stripe_sandbox, client, customer) -> None:
    intent = recharge(client, customer, 10_000)
    client.v1.refunds.create({"payment_intent": intent, "amount": 3000})
    client.v1.refunds.create({"payment_intent": intent})
    for event in events(stripe_sandbox, "charge.refunded") * 2:
        post(api, event)
    assert ledger(sql, customer.organization_id) == [("refund", -3000), ("refund", -7000)]
    assert balance(sql, customer.organization_id) == -10_000  # the recharge event has not arrived yet
    post(api, events(stripe_sandbox, "payment_intent.succeeded")[-1])
    assert balance(sql, customer.organization_id) == 0


def test_a_dispute_books_a_chargeback_once(api, sql, stripe_sandbox, client, customer) -> None:
    intent = recharge(client, customer, 4000)
    requests.post(f"{stripe_sandbox.base_url}/__sandbox/charges/{intent}/dispute", json={"amount": 1500},
                  timeout=5).raise_for_status()
    dispute = events(stripe_sandbox, "charge.dispute.created")[-1]
    assert [post(api, dispute).json()["status"] for _ in range(2)] == ["processed", "duplicate"]
    post(api, events(stripe_sandbox, "payment_intent.succeeded")[-1])
    assert ledger(sql, customer.organization_id) == [("chargeback", -1500), ("recharge", 4000)]
    assert balance(sql, customer.organization_id) == 2500


def test_outbox_events_announce_what_the_webhook_booked(api, sql, stripe_sandbox, client, customer) -> None:
    intent = recharge(client, customer, 4000)
    client.v1.refunds.create({"payment_intent": intent, "amount": 1000})
    for type_ in ("payment_intent.succeeded", "charge.refunded"):
        post(api, events(stripe_sandbox, type_)[-1])
    rows = sql("SELECT event_type, payload->>'organization_id' AS org FROM outbox"
               " WHERE event_type IN ('payment.succeeded', 'charge.refunded') ORDER BY event_type")
    assert [r["event_type"] for r in rows] == ["charge.refunded", "payment.succeeded"]
    assert rows[0]["org"] == str(customer.organization_id)


# --- failure and replay ---------------------------------------------------------------------------------

def test_a_failing_event_answers_500_and_the_replay_job_applies_it_once(api, sql, stripe_sandbox, client,
                                                                         customer) -> None:
    card = client.v1.payment_methods.attach("pm_card_visa", {"customer": customer.customer_id}).id
    event = events(stripe_sandbox, "payment_method.attached")[-1]
    stripe_sandbox.inject_faults(status=500, times=50)  # the re-fetch of the card fails, retries included
    response = post(api, event)
    assert response.status_code == 500
    assert stored(sql, event["id"])["status"] == "failed"
    assert methods(sql, customer.organization_id) == []
    stripe_sandbox.inject_faults(status=0, times=0)

    stripe_event_replay(CloudEvent({"type": "google.cloud.pubsub.topic.v1.messagePublished",
                                    "source": "//pubsub.googleapis.com/"}, {"message": {"data": ""}}))
    stripe_event_replay(CloudEvent({"type": "google.cloud.pubsub.topic.v1.messagePublished",
                                    "source": "//pubsub.googleapis.com/"}, {"message": {"data": ""}}))
    assert methods(sql, customer.organization_id) == [(card, "active", True)]
    assert stored(sql, event["id"]) | {"error_message": None} == {
        "status": "processed", "attempts": 2, "organization_id": customer.organization_id, "error_message": None}
    assert post(api, event).json()["status"] == "duplicate"


def test_a_payment_whose_webhook_never_came_is_settled_by_the_reconciliation(sql, stripe_sandbox, client,
                                                                            customer) -> None:
    from shared.services.stripe_events import reconcile_stale_payments

    intent = recharge(client, customer, 1200)
    sql("UPDATE payments SET stripe_payment_intent_id = :pi", pi=intent)  # our answer was lost, no webhook came
    assert sql("SELECT status FROM payments") == [{"status": "pending"}]
    assert reconcile_stale_payments(0) == 1
    assert reconcile_stale_payments(0) == 0
    assert balance(sql, customer.organization_id) == 1200


def test_a_payment_whose_creation_answer_was_lost_is_found_by_its_id_and_settled(sql, stripe_sandbox, client,
                                                                                 customer) -> None:
    from shared.services.stripe_events import reconcile_stale_payments

    recharge(client, customer, 700)  # Stripe created and charged the intent; we never stored its id
    assert sql("SELECT status, stripe_payment_intent_id FROM payments") == [
        {"status": "pending", "stripe_payment_intent_id": None}]

    assert reconcile_stale_payments(0) == 1
    assert sql("SELECT status FROM payments") == [{"status": "succeeded"}]
    assert ledger(sql, customer.organization_id) == [("recharge", 700)]


def test_a_payment_stripe_never_saw_is_canceled_after_twice_the_submit_window(sql, stripe_sandbox, client,
                                                                              customer) -> None:
    from shared.services.stripe_events import reconcile_stale_payments

    with UnitOfWork(TenantScope.everything()) as uow:
        account = uow.billing_accounts.get(customer.organization_id)
        assert account is not None
        for hours in (1.5, 2.5):
            payment, _ = uow.payments.add(account, purpose=PaymentPurpose.RECHARGE, amount_cents=900,
                                          idempotency_key=f"lost-{hours}", request_digest="test",
                                          payment_method_id=None, description=None, created_by=None)
            uow.session.execute("UPDATE payments SET created_at = now() - make_interval(secs => :s)"
                                " WHERE payment_id = :id", s=hours * 3600, id=payment.payment_id)
        uow.commit()

    assert reconcile_stale_payments(0) == 1
    assert sql("SELECT idempotency_key, status, failure_code FROM payments ORDER BY idempotency_key") == [
        {"idempotency_key": "lost-1.5", "status": "pending", "failure_code": None},
        {"idempotency_key": "lost-2.5", "status": "canceled", "failure_code": "not_submitted"}]
    assert ledger(sql, customer.organization_id) == []
