"""PaymentIntents, their charges, refunds and disputes."""

from __future__ import annotations

import re
import secrets

from shared.adapters.stripe import sandbox_cards as cards
from shared.adapters.stripe.sandbox_customers import Call, attach
from shared.adapters.stripe.sandbox_forms import boolean, currency, integer, merge_metadata, text
from shared.adapters.stripe.sandbox_state import Json, Store, StripeError, from_template, new_id, unexpected_state

CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
SEARCH_BY_METADATA = re.compile(r"metadata\['(\w+)'\]:'([^']*)'")
CANCELABLE = ("requires_payment_method", "requires_confirmation", "requires_action", "requires_capture", "processing")


def create_payment_intent(call: Call) -> Json:
    p, store = call.params, call.store
    amount = integer(p, "amount", required=True, minimum=1)
    money = currency(p)
    customer_id = text(p, "customer")
    if customer_id:
        store.get(customer_id, "customer", "customer")
    pm = cards.resolve(store, p["payment_method"]) if text(p, "payment_method") else None
    pi_id = new_id("pi")
    automatic = p.get("automatic_payment_methods")
    intent = from_template("payment_intent", {
        "id": pi_id, "created": store.now(), "amount": amount, "currency": money, "customer": customer_id,
        "amount_details": {}, "amount_received": 0, "canceled_at": None, "last_payment_error": None,
        "next_action": None, "processing": None, "transfer_data": None, "managed_payments": None,
        "payment_method_configuration_details": None, "latest_charge": None,
        "automatic_payment_methods": ({"enabled": boolean(automatic, "enabled")} if isinstance(automatic, dict)
                                      else None),
        "client_secret": f"{pi_id}_secret_{secrets.token_urlsafe(18)}", "description": text(p, "description"),
        "metadata": merge_metadata({}, p.get("metadata")), "payment_method": pm["id"] if pm else None,
        "setup_future_usage": text(p, "setup_future_usage"), "receipt_email": text(p, "receipt_email"),
        "statement_descriptor": text(p, "statement_descriptor"),
        "status": "requires_confirmation" if pm else "requires_payment_method",
    })
    store.put(intent)
    store.emit("payment_intent.created", intent)
    if boolean(p, "confirm"):
        return confirm(store, intent, off_session=boolean(p, "off_session"))
    return intent


def search_payment_intents(call: Call) -> Json:
    """Stripe's search, for the one query form we send: `metadata['key']:'value'`."""
    query = text(call.params, "query") or ""
    match = SEARCH_BY_METADATA.fullmatch(query.strip())
    if match is None:
        raise StripeError(400, f"Invalid search query: {query!r}.", param="query")
    key, value = match.groups()
    found = [i for i in call.store.of_kind("payment_intent") if i["metadata"].get(key) == value]
    limit = integer(call.params, "limit", minimum=1) or 10
    return {"object": "search_result", "data": found[:min(limit, 100)], "has_more": len(found) > limit,
            "next_page": None, "url": "/v1/payment_intents/search"}


def read_payment_intent(call: Call) -> Json:
    return call.store.get(call.id, "payment_intent")


def confirm_payment_intent(call: Call) -> Json:
    intent = call.store.get(call.id, "payment_intent")
    if text(call.params, "payment_method"):
        intent["payment_method"] = cards.resolve(call.store, call.params["payment_method"])["id"]
    return confirm(call.store, intent, off_session=boolean(call.params, "off_session"))


def confirm(store: Store, intent: Json, *, off_session: bool) -> Json:
    """Try to move the money: succeeded, requires_action (3-D Secure) or a 402 decline."""
    if intent["status"] not in CONFIRMABLE:
        raise unexpected_state(f"This PaymentIntent's status is {intent['status']}, so it cannot be confirmed.",
                               "payment_intent_unexpected_state")
    if not intent["payment_method"]:
        raise unexpected_state("You cannot confirm this PaymentIntent because it's missing a payment method.",
                               "payment_intent_unexpected_state")
    pm = store.get(intent["payment_method"], "payment_method")
    result = cards.outcome(store, pm, off_session=off_session)
    if result is None:
        return succeed(store, intent)
    if result[0] == "3ds":
        intent["status"] = "requires_action"
        sdk = {"type": "three_d_secure_redirect", "stripe_js": "https://hooks.stripe.com"}
        intent["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": sdk}
        store.emit("payment_intent.requires_action", intent)
        return intent
    fail(store, intent, code=result[1], decline_code=result[2])
    raise cards.decline(result[1], result[2], payment_intent=intent, charge=intent["latest_charge"])


def _charge(store: Store, intent: Json, *, paid: bool, code: str | None = None,
            decline_code: str | None = None) -> Json:
    pm = store.get(intent["payment_method"], "payment_method")
    charge = from_template("charge", {
        "id": new_id("ch"), "created": store.now(), "amount": intent["amount"], "currency": intent["currency"],
        "amount_captured": intent["amount"] if paid else 0, "amount_refunded": 0, "captured": paid, "paid": paid,
        "balance_transaction": new_id("txn") if paid else None, "customer": intent["customer"],
        "description": intent["description"], "metadata": dict(intent["metadata"]), "payment_intent": intent["id"],
        "payment_method": pm["id"], "status": "succeeded" if paid else "failed", "refunded": False, "disputed": False,
        "failure_code": code, "failure_message": cards.DECLINE_MESSAGES.get(decline_code or "") if code else None,
        "source": None, "transfer_data": None, "receipt_url": None, "invoice": intent.get("invoice"),
        "billing_details": pm["billing_details"],
    })
    charge["outcome"] = {"network_status": "approved_by_network" if paid else "declined_by_network",
                         "reason": decline_code, "risk_level": "normal", "seller_message": "Payment complete."
                         if paid else "The bank did not return any further details with this decline.",
                         "type": "authorized" if paid else "issuer_declined"}
    charge["payment_method_details"]["card"] |= {"brand": pm["card"]["brand"], "last4": pm["card"]["last4"]}
    charge["refunds"] = {"object": "list", "data": [], "has_more": False, "url": f"/v1/charges/{charge['id']}/refunds"}
    store.put(charge)
    return charge


def succeed(store: Store, intent: Json) -> Json:
    charge = _charge(store, intent, paid=True)
    intent |= {"status": "succeeded", "amount_received": intent["amount"], "latest_charge": charge["id"],
               "next_action": None, "last_payment_error": None}
    if intent["setup_future_usage"] and intent["customer"]:
        attach(store, store.get(intent["payment_method"], "payment_method"), intent["customer"])
    store.emit("charge.succeeded", charge)
    store.emit("payment_intent.succeeded", intent)
    return intent


def fail(store: Store, intent: Json, *, code: str, decline_code: str) -> None:
    """A declined attempt: a failed charge, the intent back to requires_payment_method, the events."""
    charge = _charge(store, intent, paid=False, code=code, decline_code=decline_code)
    pm = store.get(intent["payment_method"], "payment_method")
    intent |= {"status": "requires_payment_method", "latest_charge": charge["id"], "next_action": None,
               "last_payment_error": {"type": "card_error", "code": code, "decline_code": decline_code,
                                      "message": cards.DECLINE_MESSAGES.get(decline_code, "Your card was declined."),
                                      "charge": charge["id"], "payment_method": pm}}
    intent["payment_method"] = None
    store.emit("charge.failed", charge)
    store.emit("payment_intent.payment_failed", intent)


def authenticate(store: Store, intent_id: str, outcome: str) -> Json:
    """Play the customer finishing (or failing) 3-D Secure on a payment intent in requires_action."""
    intent = store.get(intent_id, "payment_intent")
    if intent["status"] != "requires_action":
        raise unexpected_state(f"The PaymentIntent is {intent['status']}, not requires_action.",
                               "payment_intent_unexpected_state")
    if outcome == "succeed":
        return succeed(store, intent)
    intent |= {"status": "requires_payment_method", "next_action": None, "payment_method": None,
               "last_payment_error": {"type": "invalid_request_error", "code": "payment_intent_authentication_failure",
                                      "message": "The provided PaymentMethod has failed authentication."}}
    store.emit("payment_intent.payment_failed", intent)
    return intent


def cancel_payment_intent(call: Call) -> Json:
    store = call.store
    intent = store.get(call.id, "payment_intent")
    if intent["status"] not in CANCELABLE:
        raise unexpected_state(f"You cannot cancel this PaymentIntent because it has a status of {intent['status']}.",
                               "payment_intent_unexpected_state")
    intent |= {"status": "canceled", "canceled_at": store.now(), "next_action": None,
               "cancellation_reason": text(call.params, "cancellation_reason")}
    store.emit("payment_intent.canceled", intent)
    return intent


def create_refund(call: Call) -> Json:
    p, store = call.params, call.store
    if text(p, "charge"):
        charge = store.get(p["charge"], "charge", "charge")
    elif text(p, "payment_intent"):
        intent = store.get(p["payment_intent"], "payment_intent", "payment_intent")
        if intent["status"] != "succeeded":
            raise unexpected_state("This PaymentIntent does not have a successful charge to refund.",
                                   "charge_not_refundable")
        charge = store.get(intent["latest_charge"], "charge")
    else:
        raise StripeError(400, "One of the following params should be provided for this request: payment_intent "
                               "or charge.", code="parameter_missing")
    left = charge["amount_captured"] - charge["amount_refunded"]
    amount = integer(p, "amount", minimum=1) or left
    if left <= 0:
        raise unexpected_state(f"Charge {charge['id']} has already been refunded.", "charge_already_refunded")
    if amount > left:
        raise StripeError(400, f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                          code="amount_too_large", param="amount")
    refund = from_template("refund", {
        "id": new_id("re"), "created": store.now(), "amount": amount, "currency": charge["currency"],
        "charge": charge["id"], "payment_intent": charge["payment_intent"], "status": "succeeded",
        "reason": text(p, "reason"), "metadata": merge_metadata({}, p.get("metadata")),
        "balance_transaction": new_id("txn"), "payment_method": charge["payment_method"],
    })
    store.put(refund)
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount_captured"]
    charge["refunds"]["data"].insert(0, refund)
    store.emit("refund.created", refund)
    store.emit("charge.refunded", charge, previous)
    return refund


def dispute(store: Store, charge_id: str, amount: int | None, reason: str = "fraudulent") -> Json:
    """Play a cardholder disputing a charge (a payment intent id names its latest charge)."""
    if charge_id.startswith("pi_"):
        charge_id = store.get(charge_id, "payment_intent")["latest_charge"] or charge_id
    charge = store.get(charge_id, "charge")
    if not charge["paid"]:
        raise unexpected_state("Only a paid charge can be disputed.", "charge_not_disputable")
    dispute_obj = from_template("dispute", {
        "id": new_id("dp"), "created": store.now(), "amount": amount or charge["amount"], "charge": charge["id"],
        "currency": charge["currency"], "payment_intent": charge["payment_intent"], "reason": reason,
        "status": "needs_response", "is_charge_refundable": False, "metadata": {},
    })
    dispute_obj["evidence_details"]["due_by"] = store.now() + 7 * 86_400
    store.put(dispute_obj)
    charge["disputed"] = True
    store.emit("charge.dispute.created", dispute_obj)
    return dispute_obj
