"""The Stripe sandbox through the official `stripe` library, as the billing services will use it."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from shared.adapters.stripe.client import get_stripe_client
from shared.adapters.stripe.errors import PaymentDeclined, PaymentProviderUnavailable, stripe_errors
from shared.adapters.stripe.sandbox import SandboxServer, sign
from shared.adapters.stripe.webhooks import StripeEvent, verify_event
from shared.config import get_settings
from shared.domain.errors import Conflict, NotFound

FIXTURES = Path(__file__).parents[1] / "fixtures" / "stripe"


class Receiver:
    """A tiny webhook endpoint: verifies each delivery with verify_event, keeps the events, answers 200."""

    def __init__(self, secret: str, fail_first: int = 0) -> None:
        self.secret = secret
        self.events: list[StripeEvent] = []
        self.fail_first = fail_first
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self, threaded=True)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.port}/webhooks/stripe"

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        with self._lock:
            if self.fail_first > 0:
                self.fail_first -= 1
                return Response("busy", status=503)(environ, start_response)
            event = verify_event(request.get_data(), request.headers.get("Stripe-Signature"), [self.secret], 300)
            self.events.append(event)
        return Response("{}", mimetype="application/json")(environ, start_response)

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def client(stripe_sandbox: SandboxServer) -> stripe.StripeClient:
    return get_stripe_client()


@pytest.fixture
def receiver(stripe_sandbox: SandboxServer) -> Iterator[Receiver]:
    endpoint = Receiver(get_settings().stripe_webhook_secrets[0])
    stripe_sandbox.add_webhook_endpoint(endpoint.url)
    yield endpoint
    stripe_sandbox.wait_idle(10)
    endpoint.stop()


def customer_with_card(client: stripe.StripeClient, card: str = "pm_card_visa") -> tuple[str, str]:
    """A customer whose card was saved the way the browser does it (setup intent confirmed), as default."""
    customer = client.v1.customers.create({"name": "Acme", "email": "billing@acme.example"})
    intent = client.v1.setup_intents.create({"customer": customer.id, "usage": "off_session",
                                             "payment_method_types": ["card"]})
    intent = client.v1.setup_intents.confirm(intent.id, {"payment_method": card})
    assert intent.status == "succeeded"
    pm = str(intent.payment_method)
    client.v1.customers.update(customer.id, {"invoice_settings": {"default_payment_method": pm}})
    return customer.id, pm


def test_the_client_points_at_the_sandbox_with_settings_timeout_and_retries(stripe_sandbox: SandboxServer) -> None:
    client = get_stripe_client()

    assert client is get_stripe_client()
    assert get_settings().stripe_api_base == stripe_sandbox.base_url
    assert client.v1.customers.create({"name": "x"}).id.startswith("cus_")


def test_customers_are_created_and_updated(client: stripe.StripeClient, stripe_sandbox: SandboxServer) -> None:
    customer = client.v1.customers.create({"name": "Acme", "email": "a@acme.example", "description": "org 7",
                                           "metadata": {"organization_id": "7"}})
    updated = client.v1.customers.update(customer.id, {"email": "billing@acme.example",
                                                       "metadata": {"plan": "postpaid"}})

    fetched = client.v1.customers.retrieve(customer.id)
    assert (fetched.name, fetched.email, fetched.description) == ("Acme", "billing@acme.example", "org 7")
    assert fetched.metadata.to_dict() == {"organization_id": "7", "plan": "postpaid"}
    assert fetched.livemode is False and isinstance(fetched.created, int)
    assert updated.id == customer.id
    update = stripe_sandbox.events("customer.updated")[0]
    assert update["data"]["previous_attributes"]["email"] == "a@acme.example"


def test_a_confirmed_setup_intent_attaches_a_fresh_card_and_emits_events(
        client: stripe.StripeClient, stripe_sandbox: SandboxServer) -> None:
    customer = client.v1.customers.create({"name": "Acme"})
    intent = client.v1.setup_intents.create({"customer": customer.id, "usage": "off_session",
                                             "payment_method_types": ["card"], "metadata": {"org": "7"}})
    assert intent.status == "requires_payment_method"
    assert intent.client_secret.startswith(f"{intent.id}_secret_")

    confirmed = client.v1.setup_intents.confirm(intent.id, {"payment_method": "pm_card_visa"})

    assert confirmed.status == "succeeded"
    assert confirmed.payment_method.startswith("pm_") and confirmed.payment_method != "pm_card_visa"
    methods = client.v1.customers.payment_methods.list(customer.id)
    assert [m.id for m in methods.data] == [confirmed.payment_method]
    assert methods.data[0].card.last4 == "4242"
    assert client.v1.payment_methods.list({"customer": customer.id, "type": "card"}).data[0].customer == customer.id
    types = [e["type"] for e in stripe_sandbox.events()]
    assert {"setup_intent.succeeded", "payment_method.attached"} <= set(types)


def test_a_card_is_detached_and_stops_being_the_default(client: stripe.StripeClient,
                                                       stripe_sandbox: SandboxServer) -> None:
    customer_id, pm = customer_with_card(client)

    client.v1.payment_methods.detach(pm)

    assert client.v1.customers.retrieve(customer_id).invoice_settings.default_payment_method is None
    assert client.v1.customers.payment_methods.list(customer_id).data == []
    assert stripe_sandbox.events("payment_method.detached")[0]["data"]["object"]["id"] == pm


def test_a_successful_payment_creates_a_charge_and_events(client: stripe.StripeClient,
                                                          stripe_sandbox: SandboxServer) -> None:
    customer_id, pm = customer_with_card(client)

    intent = client.v1.payment_intents.create({
        "amount": 2500, "currency": "usd", "customer": customer_id, "payment_method": pm, "confirm": True,
        "off_session": True, "metadata": {"invoice": "42"}, "expand": ["latest_charge"]})

    assert (intent.status, intent.amount_received) == ("succeeded", 2500)
    assert intent.latest_charge.amount == 2500 and intent.latest_charge.paid
    types = [e["type"] for e in stripe_sandbox.events() if e["type"].startswith(("payment_intent", "charge"))]
    assert types == ["payment_intent.created", "charge.succeeded", "payment_intent.succeeded"]


@pytest.mark.parametrize(("card", "decline_code"), [("pm_card_chargeDeclined", "generic_decline"),
                                                    ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds")])
def test_a_declined_payment_is_a_402_and_a_payment_failed_event(
        client: stripe.StripeClient, stripe_sandbox: SandboxServer, card: str, decline_code: str) -> None:
    with pytest.raises(PaymentDeclined) as caught, stripe_errors():
        client.v1.payment_intents.create({"amount": 900, "currency": "eur", "payment_method": card, "confirm": True})

    assert caught.value.status == 402
    assert caught.value.decline_code == decline_code
    intent = client.v1.payment_intents.retrieve(caught.value.details["payment_intent"])
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.decline_code == decline_code
    assert [e["type"] for e in stripe_sandbox.events("payment_intent.payment_failed")] == [
        "payment_intent.payment_failed"]


def test_a_card_needing_3d_secure_waits_for_the_customer_then_succeeds(
        client: stripe.StripeClient, stripe_sandbox: SandboxServer) -> None:
    intent = client.v1.payment_intents.create({"amount": 1000, "currency": "usd", "confirm": True,
                                               "payment_method": "pm_card_authenticationRequired",
                                               "return_url": "https://app.example/billing"})
    assert intent.status == "requires_action"
    assert intent.next_action.type == "use_stripe_sdk"
    assert intent.client_secret

    response = requests.post(f"{stripe_sandbox.base_url}/__sandbox/payment_intents/{intent.id}/authenticate",
                             json={"outcome": "succeed"}, timeout=5)

    assert response.json()["status"] == "succeeded"
    assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    assert stripe_sandbox.events("payment_intent.succeeded")


def test_a_failed_3d_secure_leaves_the_payment_unpaid(client: stripe.StripeClient,
                                                      stripe_sandbox: SandboxServer) -> None:
    intent = client.v1.payment_intents.create({"amount": 1000, "currency": "usd", "confirm": True,
                                               "payment_method": "pm_card_authenticationRequired"})
    requests.post(f"{stripe_sandbox.base_url}/__sandbox/payment_intents/{intent.id}/authenticate",
                  json={"outcome": "fail"}, timeout=5)

    intent = client.v1.payment_intents.retrieve(intent.id)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.code == "payment_intent_authentication_failure"


def test_an_off_session_payment_on_a_3d_secure_card_is_declined(client: stripe.StripeClient) -> None:
    customer_id, _ = customer_with_card(client, "pm_card_visa")
    other = client.v1.payment_methods.attach("pm_card_authenticationRequired", {"customer": customer_id})

    with pytest.raises(stripe.CardError) as caught:
        client.v1.payment_intents.create({"amount": 500, "currency": "usd", "customer": customer_id,
                                          "payment_method": other.id, "confirm": True, "off_session": True})

    assert caught.value.code == "authentication_required"


def test_an_idempotency_key_replays_the_first_answer_without_side_effects(
        client: stripe.StripeClient, stripe_sandbox: SandboxServer) -> None:
    options: Any = {"idempotency_key": "charge-invoice-42"}
    params: Any = {"amount": 700, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True}

    first = client.v1.payment_intents.create(params, options)
    again = client.v1.payment_intents.create(params, options)

    assert again.id == first.id
    assert len(stripe_sandbox.events("payment_intent.succeeded")) == 1
    assert len([o for o in stripe_sandbox.events("charge.succeeded")]) == 1
    event = stripe_sandbox.events("payment_intent.created")[0]
    assert event["request"]["idempotency_key"] == "charge-invoice-42"


def test_an_idempotency_key_reused_with_other_parameters_is_refused(client: stripe.StripeClient) -> None:
    options: Any = {"idempotency_key": "create-customer-7"}
    client.v1.customers.create({"name": "Acme"}, options)

    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create({"name": "Other"}, options)
    with pytest.raises(Conflict), stripe_errors():
        client.v1.customers.create({"name": "Other"}, options)


def test_a_declined_answer_is_replayed_for_the_same_key(client: stripe.StripeClient,
                                                        stripe_sandbox: SandboxServer) -> None:
    options: Any = {"idempotency_key": "decline-1"}
    params: Any = {"amount": 700, "currency": "usd", "payment_method": "pm_card_chargeDeclined", "confirm": True}
    for _ in range(2):
        with pytest.raises(stripe.CardError):
            client.v1.payment_intents.create(params, options)

    assert len(stripe_sandbox.events("payment_intent.payment_failed")) == 1


def test_payment_intents_are_found_by_their_metadata(client: stripe.StripeClient,
                                                    stripe_sandbox: SandboxServer) -> None:
    ids = [client.v1.payment_intents.create({"amount": 500, "currency": "usd", "metadata": {"payment_id": str(n)}}).id
           for n in (1, 2)]

    found = client.v1.payment_intents.search({"query": "metadata['payment_id']:'2'"})

    assert [i.id for i in found.data] == [ids[1]] and found.object == "search_result"
    assert client.v1.payment_intents.search({"query": "metadata['payment_id']:'3'"}).data == []
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payment_intents.search({"query": "amount>100"})


def test_a_postpaid_invoice_is_drafted_finalized_and_paid(client: stripe.StripeClient,
                                                          stripe_sandbox: SandboxServer) -> None:
    customer_id, _ = customer_with_card(client)
    for amount, label in ((12_000, "Conversions, May"), (3_450, "Platform fee, May")):
        client.v1.invoice_items.create({"customer": customer_id, "amount": amount, "currency": "usd",
                                        "description": label, "metadata": {"period": "2025-05"}})

    draft = client.v1.invoices.create({"customer": customer_id, "collection_method": "charge_automatically",
                                       "auto_advance": False, "pending_invoice_items_behavior": "include",
                                       "metadata": {"billing_period": "2025-05"}})
    assert (draft.status, draft.amount_due, len(draft.lines.data)) == ("draft", 15_450, 2)

    opened = client.v1.invoices.finalize_invoice(draft.id)
    assert opened.status == "open" and opened.number
    paid = client.v1.invoices.pay(draft.id)

    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 15_450, 0)
    assert [i.id for i in client.v1.invoices.list({"customer": customer_id}).data] == [draft.id]
    types = [e["type"] for e in stripe_sandbox.events() if e["type"].startswith("invoice.")]
    assert types == ["invoice.created", "invoice.finalized", "invoice.paid", "invoice.payment_succeeded"]


def test_an_invoice_on_a_failing_card_is_a_402_and_a_payment_failed_event(
        client: stripe.StripeClient, stripe_sandbox: SandboxServer) -> None:
    customer_id, _ = customer_with_card(client, "pm_card_chargeCustomerFail")
    client.v1.invoice_items.create({"customer": customer_id, "amount": 5_000, "currency": "usd"})
    invoice = client.v1.invoices.create({"customer": customer_id, "pending_invoice_items_behavior": "include"})
    client.v1.invoices.finalize_invoice(invoice.id)

    with pytest.raises(PaymentDeclined), stripe_errors():
        client.v1.invoices.pay(invoice.id)

    after = client.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.attempt_count) == ("open", 1)
    assert stripe_sandbox.events("invoice.payment_failed")
    voided = client.v1.invoices.void_invoice(invoice.id)
    assert voided.status == "void"


def test_refunds_and_disputes_emit_their_events(client: stripe.StripeClient, stripe_sandbox: SandboxServer) -> None:
    intent = client.v1.payment_intents.create({"amount": 1_000, "currency": "usd", "payment_method": "pm_card_visa",
                                               "confirm": True})
    refund = client.v1.refunds.create({"payment_intent": intent.id, "amount": 400})
    assert (refund.amount, refund.status, refund.charge) == (400, "succeeded", intent.latest_charge)

    refunded = stripe_sandbox.events("charge.refunded")[0]["data"]
    assert (refunded["object"]["amount_refunded"], refunded["object"]["refunded"]) == (400, False)
    assert refunded["previous_attributes"] == {"amount_refunded": 0, "refunded": False}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"payment_intent": intent.id, "amount": 700})

    response = requests.post(f"{stripe_sandbox.base_url}/__sandbox/charges/{intent.latest_charge}/dispute",
                             json={}, timeout=5)
    dispute = stripe_sandbox.events("charge.dispute.created")[0]["data"]["object"]
    assert dispute["id"] == response.json()["id"] and dispute["id"].startswith("dp_")
    assert (dispute["amount"], dispute["charge"]) == (1_000, intent.latest_charge)


def test_unknown_ids_wrong_keys_and_missing_params_answer_like_stripe(client: stripe.StripeClient,
                                                                       stripe_sandbox: SandboxServer) -> None:
    with pytest.raises(NotFound), stripe_errors():
        client.v1.customers.retrieve("cus_missing")
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.payment_intents.create({"currency": "usd"})
    assert (missing.value.code, missing.value.param) == ("parameter_missing", "amount")
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("sk_test_wrong", base_addresses={"api": stripe_sandbox.base_url}).v1.customers.list()
    answer = requests.get(f"{stripe_sandbox.base_url}/v1/customers/cus_missing", timeout=5,
                          headers={"Authorization": f"Bearer {stripe_sandbox.secret_key}"})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "resource_missing"


def test_server_errors_are_retried_with_the_same_idempotency_key(client: stripe.StripeClient,
                                                                 stripe_sandbox: SandboxServer) -> None:
    stripe_sandbox.inject_faults(status=500, times=1)

    customer = client.v1.customers.create({"name": "Retried"})

    assert customer.name == "Retried"
    assert stripe_sandbox.calls()["calls"]["POST /v1/customers"] == 2
    assert len(stripe_sandbox.events("customer.created")) == 1


def test_an_outage_is_payment_provider_unavailable(client: stripe.StripeClient,
                                                   stripe_sandbox: SandboxServer) -> None:
    requests.post(f"{stripe_sandbox.base_url}/__sandbox/faults", json={"status": 503, "times": 10}, timeout=5)

    with pytest.raises(PaymentProviderUnavailable) as caught, stripe_errors():
        client.v1.customers.create({"name": "Down"})

    assert caught.value.status == 503
    assert stripe_sandbox.calls()["calls"]["POST /v1/customers"] == 1 + get_settings().stripe_max_retries


def test_events_are_delivered_signed_in_order(client: stripe.StripeClient, stripe_sandbox: SandboxServer,
                                              receiver: Receiver) -> None:
    customer_with_card(client)

    assert stripe_sandbox.wait_idle(10)
    assert receiver.types() == [e["type"] for e in stripe_sandbox.events()]
    assert receiver.types()[0] == "customer.created"
    assert all(d["status"] == 200 for d in stripe_sandbox.deliveries())
    assert client.v1.events.retrieve(receiver.events[0].id).type == "customer.created"


def test_failed_deliveries_are_retried(client: stripe.StripeClient, stripe_sandbox: SandboxServer,
                                       receiver: Receiver) -> None:
    receiver.fail_first = 2

    client.v1.customers.create({"name": "Retry me"})

    assert stripe_sandbox.wait_idle(10)
    assert [d["status"] for d in stripe_sandbox.deliveries()] == [503, 503, 200]
    assert receiver.types() == ["customer.created"]


def test_manual_mode_stores_events_until_a_test_delivers_them(client: stripe.StripeClient,
                                                              stripe_sandbox: SandboxServer,
                                                              receiver: Receiver) -> None:
    requests.post(f"{stripe_sandbox.base_url}/__sandbox/webhooks/mode", json={"mode": "manual"}, timeout=5)
    client.v1.customers.create({"name": "Later"})
    assert stripe_sandbox.wait_idle(5) and receiver.events == []

    listed = requests.get(f"{stripe_sandbox.base_url}/__sandbox/events", params={"type": "customer.created"},
                          timeout=5).json()["data"]
    requests.post(f"{stripe_sandbox.base_url}/__sandbox/events/{listed[0]['id']}/deliver", json={"times": 2},
                  timeout=5)

    assert stripe_sandbox.wait_idle(10)
    assert [e.id for e in receiver.events] == [listed[0]["id"]] * 2


def test_duplicate_and_shuffle_modes_send_events_twice_and_out_of_order(
        client: stripe.StripeClient, stripe_sandbox: SandboxServer, receiver: Receiver) -> None:
    stripe_sandbox.webhook_mode(duplicate_rate=1.0, shuffle=True)

    for n in range(6):
        client.v1.customers.create({"name": f"Customer {n}"})

    assert stripe_sandbox.wait_idle(10)
    created = [e["id"] for e in stripe_sandbox.events()]
    received = [e.id for e in receiver.events]
    assert sorted(received) == sorted(created * 2)
    assert len(received) == 12


def test_sign_makes_headers_our_verifier_accepts(stripe_sandbox: SandboxServer) -> None:
    payload = json.dumps({"id": "evt_x", "object": "event", "type": "ping", "created": 1,
                          "data": {"object": {"id": "x"}}}).encode()

    event = verify_event(payload, sign(payload, "whsec_abc"), ["whsec_abc"], 300)

    assert event.type == "ping" and event.previous_attributes is None


def test_event_shapes_carry_the_keys_of_stripes_fixtures(client: stripe.StripeClient,
                                                         stripe_sandbox: SandboxServer) -> None:
    shapes = json.loads((FIXTURES / "shapes.json").read_text())
    customer_id, _ = customer_with_card(client)
    client.v1.payment_intents.create({"amount": 100, "currency": "usd", "customer": customer_id,
                                      "payment_method": "pm_card_visa", "confirm": True})
    client.v1.invoice_items.create({"customer": customer_id, "amount": 100, "currency": "usd"})
    client.v1.invoices.create({"customer": customer_id, "pending_invoice_items_behavior": "include"})

    for event in stripe_sandbox.events():
        assert set(shapes["event"]) <= set(event), event["type"]
        obj = event["data"]["object"]
        assert set(shapes[obj["object"]]) <= set(obj), obj["object"]
        assert obj["livemode"] is False if "livemode" in obj else True
