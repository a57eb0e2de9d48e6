"""Customers, payment methods and setup intents (what Stripe.js's `confirmCardSetup` does, played by tests)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from shared.adapters.stripe import sandbox_cards as cards
from shared.adapters.stripe.sandbox_forms import boolean, list_object, merge_metadata, text
from shared.adapters.stripe.sandbox_state import Json, Store, StripeError, from_template, new_id, unexpected_state


@dataclass
class Call:
    """One API call: the store, the decoded parameters, and the ids in its path."""

    store: Store
    params: Json
    ids: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.ids["id"]


def create_customer(call: Call) -> Json:
    p, store = call.params, call.store
    customer = from_template("customer", {
        "id": new_id("cus"), "created": store.now(), "name": text(p, "name"), "email": text(p, "email"),
        "description": text(p, "description"), "phone": text(p, "phone"), "discount": None, "currency": None,
        "metadata": merge_metadata({}, p.get("metadata")), "livemode": False, "shipping": None,
        "invoice_prefix": secrets.token_hex(4).upper(), "next_invoice_sequence": 1,
    })
    customer["invoice_settings"]["default_payment_method"] = None
    store.put(customer)
    store.emit("customer.created", customer)
    return customer


def read_customer(call: Call) -> Json:
    return call.store.get(call.id, "customer")


def update_customer(call: Call) -> Json:
    p, store = call.params, call.store
    customer = store.get(call.id, "customer")
    previous: Json = {}
    for name in ("name", "email", "description", "phone"):
        if name in p and customer.get(name) != (p[name] or None):
            previous[name], customer[name] = customer.get(name), p[name] or None
    if "metadata" in p:
        merged = merge_metadata(customer["metadata"], p["metadata"])
        if merged != customer["metadata"]:
            previous["metadata"], customer["metadata"] = customer["metadata"], merged
    settings = p.get("invoice_settings")
    if isinstance(settings, dict) and "default_payment_method" in settings:
        _set_default_method(store, customer, settings["default_payment_method"] or None, previous)
    if previous:
        store.emit("customer.updated", customer, previous)
    return customer


def _set_default_method(store: Store, customer: Json, pm_id: str | None, previous: Json) -> None:
    param = "invoice_settings[default_payment_method]"
    if pm_id is not None:
        pm = store.get(pm_id, "payment_method", param)
        if pm["customer"] != customer["id"]:
            raise StripeError(400, f"The customer does not have a payment method with the ID {pm_id}. The payment "
                                   "method must be attached to the customer.", param=param)
    current = customer["invoice_settings"]
    if current["default_payment_method"] != pm_id:
        previous["invoice_settings"] = dict(current)
        current["default_payment_method"] = pm_id


def read_payment_method(call: Call) -> Json:
    if call.id in cards.TEST_CARDS:
        return cards.test_method(call.id, call.store.now())
    return call.store.get(call.id, "payment_method")


def attach(store: Store, pm: Json, customer_id: str) -> Json:
    """Attach `pm` to a customer (emitting payment_method.attached); attached elsewhere is Stripe's 400."""
    store.get(customer_id, "customer", "customer")
    if pm["customer"] == customer_id:
        return pm
    if pm["customer"] is not None:
        raise StripeError(400, "The payment method you provided has already been attached to a customer.",
                          code="payment_method_unexpected_state")
    pm["customer"] = customer_id
    store.emit("payment_method.attached", pm, {"customer": None})
    return pm


def attach_payment_method(call: Call) -> Json:
    customer_id = text(call.params, "customer", required=True) or ""
    call.store.get(customer_id, "customer", "customer")
    return attach(call.store, cards.resolve(call.store, call.id, "payment_method"), customer_id)


def detach_payment_method(call: Call) -> Json:
    store = call.store
    pm = store.get(call.id, "payment_method")
    if pm["customer"] is None:
        raise unexpected_state("The payment method you provided is not attached to a customer so detachment "
                               "is impossible.", "payment_method_unexpected_state")
    customer = store.objects.get(pm["customer"])
    previous_customer, pm["customer"] = pm["customer"], None
    if customer and customer["invoice_settings"]["default_payment_method"] == pm["id"]:
        customer["invoice_settings"]["default_payment_method"] = None  # Stripe forgets a detached default
    store.emit("payment_method.detached", pm, {"customer": previous_customer})
    return pm


def list_payment_methods(call: Call) -> Json:
    customer_id = call.ids.get("id") or text(call.params, "customer")
    where: dict[str, Any] = {}
    if customer_id:
        call.store.get(customer_id, "customer", "customer")
        where["customer"] = customer_id
    if call.params.get("type"):
        where["type"] = call.params["type"]
    url = f"/v1/customers/{customer_id}/payment_methods" if "id" in call.ids else "/v1/payment_methods"
    return list_object(url, call.store.of_kind("payment_method", **where), call.params)


def create_setup_intent(call: Call) -> Json:
    p, store = call.params, call.store
    customer_id = text(p, "customer")
    if customer_id:
        store.get(customer_id, "customer", "customer")
    seti_id = new_id("seti")
    intent = from_template("setup_intent", {
        "id": seti_id, "created": store.now(), "customer": customer_id, "description": text(p, "description"),
        "client_secret": f"{seti_id}_secret_{secrets.token_urlsafe(18)}", "last_setup_error": None,
        "next_action": None, "payment_method": None, "payment_method_configuration_details": None,
        "payment_method_types": p.get("payment_method_types") or ["card"], "status": "requires_payment_method",
        "usage": text(p, "usage") or "off_session", "metadata": merge_metadata({}, p.get("metadata")),
    })
    store.put(intent)
    store.emit("setup_intent.created", intent)
    if text(p, "payment_method"):
        intent["payment_method"] = cards.resolve(store, p["payment_method"])["id"]
        intent["status"] = "requires_confirmation"
    if boolean(p, "confirm"):
        return confirm_setup(store, intent, intent["payment_method"])
    return intent


def read_setup_intent(call: Call) -> Json:
    return call.store.get(call.id, "setup_intent")


def confirm_setup_intent(call: Call) -> Json:
    intent = call.store.get(call.id, "setup_intent")
    pm_id = text(call.params, "payment_method") or intent["payment_method"]
    return confirm_setup(call.store, intent, pm_id)


def confirm_setup(store: Store, intent: Json, pm_id: str | None) -> Json:
    if intent["status"] not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise unexpected_state(f"You cannot confirm this SetupIntent because it has a status of {intent['status']}.",
                               "setup_intent_unexpected_state")
    if not pm_id:
        raise StripeError(400, "You cannot confirm this SetupIntent because it's missing a payment method.",
                          code="setup_intent_unexpected_state")
    pm = cards.resolve(store, pm_id)
    intent["payment_method"], intent["last_setup_error"] = pm["id"], None
    if cards.behaviour(store, pm) == "3ds":
        intent["status"] = "requires_action"
        intent["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {"type": "three_d_secure_redirect"}}
        store.emit("setup_intent.requires_action", intent)
        return intent
    return finish_setup(store, intent, succeeded=True)


def finish_setup(store: Store, intent: Json, *, succeeded: bool) -> Json:
    """The end of a setup: the method attached to the customer, or the authentication failure recorded."""
    intent["next_action"] = None
    if not succeeded:
        intent["status"] = "requires_payment_method"
        intent["last_setup_error"] = {"type": "invalid_request_error", "code": "setup_intent_authentication_failure",
                                      "message": "The latest attempt to set up the payment method has failed "
                                                 "because authentication failed."}
        store.emit("setup_intent.setup_failed", intent)
        return intent
    pm = store.get(intent["payment_method"], "payment_method")
    if intent["customer"]:
        attach(store, pm, intent["customer"])
    intent["status"] = "succeeded"
    store.emit("setup_intent.succeeded", intent)
    return intent
