"""Stripe's exceptions in our terms: `with stripe_errors(): ...` (or `@stripe_errors()`) around every call.

    CardError                          -> PaymentDeclined 402 "payment_declined" (details: decline_code, ...)
    InvalidRequestError resource_missing -> NotFound 404 (the object is gone at Stripe)
    InvalidRequestError (other)        -> ValidationFailed 422 (Stripe refused what we sent; its param named)
    IdempotencyError                   -> Conflict 409 (a key reused with other parameters)
    Authentication/Permission errors   -> PaymentProviderUnavailable 503, logged: our key is wrong
    RateLimit, connection, API errors  -> PaymentProviderUnavailable 503 (the library already retried)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import stripe

from shared.domain.errors import Conflict, DomainError, NotFound, ValidationFailed

log = logging.getLogger(__name__)


class PaymentProviderUnavailable(DomainError):
    status = 503
    code = "payment_provider_unavailable"


class PaymentDeclined(DomainError):
    """The card was declined (or needs the customer): details carry Stripe's codes and the payment intent."""

    status = 402
    code = "payment_declined"

    @property
    def decline_code(self) -> str | None:
        return (self.details or {}).get("decline_code")


class InvalidSignature(DomainError):
    """A webhook whose Stripe-Signature is missing, wrong or too old (Stripe's examples answer 400)."""

    status = 400
    code = "invalid_signature"


class InvalidPayload(DomainError):
    """A webhook body that is not a JSON Stripe event."""

    status = 400
    code = "invalid_payload"


@contextmanager
def stripe_errors() -> Iterator[None]:
    """Translate the `stripe` library's exceptions raised inside the block into our domain errors."""
    try:
        yield
    except stripe.StripeError as error:
        raise translate(error) from error


def translate(error: stripe.StripeError) -> DomainError:
    """Our domain error for one Stripe exception."""
    body = _error_body(error)
    if isinstance(error, stripe.CardError):
        details = {"code": error.code, "decline_code": body.get("decline_code") or error.code,
                   "payment_intent": _id(body.get("payment_intent")), "charge": _id(body.get("charge"))}
        return PaymentDeclined(error.user_message or "The card was declined.", details=details)
    if isinstance(error, stripe.IdempotencyError):
        return Conflict("The payment request conflicts with an earlier one.")
    if isinstance(error, stripe.InvalidRequestError):
        if error.code == "resource_missing":
            return NotFound("The payment provider has no such object.", details={"param": error.param})
        return ValidationFailed(error.user_message or "The payment provider refused the request.",
                                details={"code": error.code, "param": error.param})
    if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        log.error("Stripe refused our API key (%s); check STRIPE_SECRET_KEY", type(error).__name__)
    else:
        log.warning("Stripe unavailable: %s (request %s)", type(error).__name__, error.request_id)
    return PaymentProviderUnavailable("The payment provider is unavailable; try again shortly.")


def _error_body(error: stripe.StripeError) -> dict[str, Any]:
    body = error.json_body if isinstance(error.json_body, dict) else {}
    inner = body.get("error")
    return inner if isinstance(inner, dict) else {}


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        return str(value.get("id")) if value.get("id") else None
    return str(value) if value else None
