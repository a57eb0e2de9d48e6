"""Stripe's test payment methods (`pm_card_visa`, ...) and how charges on them turn out.

Using a test id creates a fresh `pm_` clone, as Stripe does. Behaviours: "ok"; "3ds" (on-session
payments need 3-D Secure, off-session ones are declined `authentication_required`); declines happen
when money moves (a charge), so a declining card can still be saved and fail later, on an invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.adapters.stripe.sandbox_state import Json, Store, StripeError, from_template, new_id


@dataclass(frozen=True)
class TestCard:
    brand: str
    last4: str
    behaviour: str  # ok | 3ds | card_declined:<decline code>
    funding: str = "credit"


TEST_CARDS: dict[str, TestCard] = {
    "pm_card_visa": TestCard("visa", "4242", "ok"),
    "pm_card_visa_debit": TestCard("visa", "5556", "ok", "debit"),
    "pm_card_mastercard": TestCard("mastercard", "4444", "ok"),
    "pm_card_amex": TestCard("amex", "8431", "ok"),
    "pm_card_authenticationRequired": TestCard("visa", "3184", "3ds"),
    "pm_card_threeDSecure2Required": TestCard("visa", "3220", "3ds"),
    "pm_card_chargeDeclined": TestCard("visa", "0002", "card_declined:generic_decline"),
    "pm_card_chargeCustomerFail": TestCard("visa", "0341", "card_declined:generic_decline"),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard("visa", "9995", "card_declined:insufficient_funds"),
    "pm_card_chargeDeclinedExpiredCard": TestCard("visa", "0069", "expired_card:expired_card"),
}
DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "authentication_required": "Your card was declined. This transaction requires authentication.",
}


def _card_object(test_id: str, card: TestCard, created: int) -> Json:
    obj = from_template("payment_method", {
        "id": test_id, "created": created, "customer": None, "metadata": {}, "livemode": False,
    })
    obj["billing_details"] = {"address": {k: None for k in obj["billing_details"]["address"]},
                              "email": None, "name": None, "phone": None, "tax_id": None}
    obj["card"] |= {"brand": card.brand, "display_brand": card.brand, "last4": card.last4, "funding": card.funding,
                    "fingerprint": f"fp{card.brand}{card.last4}", "wallet": None, "generated_from": None,
                    "networks": {"available": [card.brand], "preferred": None}}
    return obj


def test_method(test_id: str, created: int) -> Json:
    """The test payment method itself, as `GET /v1/payment_methods/pm_card_visa` shows it."""
    return _card_object(test_id, TEST_CARDS[test_id], created)


def resolve(store: Store, pm_id: str, param: str = "payment_method") -> Json:
    """A stored payment method; a test id (`pm_card_visa`) becomes a fresh clone with a new `pm_` id."""
    card = TEST_CARDS.get(pm_id)
    if card is None:
        return store.get(pm_id, "payment_method", param)
    obj = _card_object(new_id("pm"), card, store.now())
    store.behaviours[obj["id"]] = card.behaviour
    return store.put(obj)


def behaviour(store: Store, pm: Json) -> str:
    return store.behaviours.get(pm["id"], "ok")


def decline(code: str, decline_code: str, **extra: Any) -> StripeError:
    """The 402 card error Stripe answers when a payment is declined."""
    message = DECLINE_MESSAGES.get(decline_code, "Your card was declined.")
    return StripeError(402, message, type_="card_error", code=code, decline_code=decline_code, **extra)


def outcome(store: Store, pm: Json, *, off_session: bool) -> tuple[str, str, str] | None:
    """None when the charge goes through; ("3ds", "", "") when it needs the customer; else (status, code, decline)."""
    how = behaviour(store, pm)
    if how == "ok":
        return None
    if how == "3ds":
        return ("declined", "authentication_required", "authentication_required") if off_session else ("3ds", "", "")
    code, decline_code = how.split(":", 1)
    return "declined", code, decline_code
