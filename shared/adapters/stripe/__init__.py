"""Stripe: the official client built from settings, its errors in our terms, verified webhook events.

The sandbox (`shared.adapters.stripe.sandbox`) answers like Stripe's API for tests and `make run`.
"""

from __future__ import annotations

from shared.adapters.stripe.client import get_stripe_client
from shared.adapters.stripe.errors import (
    InvalidPayload,
    InvalidSignature,
    PaymentDeclined,
    PaymentProviderUnavailable,
    stripe_errors,
)
from shared.adapters.stripe.webhooks import StripeEvent, verify_event

__all__ = [
    "InvalidPayload",
    "InvalidSignature",
    "PaymentDeclined",
    "PaymentProviderUnavailable",
    "StripeEvent",
    "get_stripe_client",
    "stripe_errors",
    "verify_event",
]
