"""Verified Stripe webhook events: the signature checked over the raw body, the event as plain data.

Stripe signs `f"{t}.{raw body}"` with each endpoint secret (HMAC-SHA256) and sends
`Stripe-Signature: t=...,v1=...[,v1=...]`. During a secret rotation several secrets are valid, so each
configured one is tried. Failures answer 400, as Stripe's own examples do: Stripe only looks at
"2xx or not" and retries either way, and 400 says "this request is bad", not "log in".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import stripe

from shared.adapters.stripe.errors import InvalidPayload, InvalidSignature


@dataclass(frozen=True)
class StripeEvent:
    """One snapshot event: what happened, when, and the object as it was then (a plain dict)."""

    id: str
    type: str
    created: int
    api_version: str | None
    livemode: bool
    data_object: dict[str, Any]
    previous_attributes: dict[str, Any] | None
    raw: dict[str, Any]


def verify_event(payload: bytes, signature_header: str | None, secrets: Sequence[str],
                 tolerance_s: int) -> StripeEvent:
    """The event in `payload` once its signature matches one of `secrets` within `tolerance_s` seconds."""
    if not signature_header:
        raise InvalidSignature("The Stripe-Signature header is missing.")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidPayload("The webhook body is not UTF-8.") from None
    if not _signed_by_any(text, signature_header, [s for s in secrets if s], tolerance_s):
        raise InvalidSignature("The Stripe signature does not match the body.")
    return parse_event(text)


def _signed_by_any(text: str, header: str, secrets: Sequence[str], tolerance_s: int) -> bool:
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(text, header, secret, tolerance_s)
        except stripe.SignatureVerificationError:
            continue
        return True
    return False


def parse_event(text: str) -> StripeEvent:
    """A StripeEvent from an event's JSON (already verified, or re-fetched from the API)."""
    try:
        raw = json.loads(text)
    except ValueError:
        raise InvalidPayload("The webhook body is not JSON.") from None
    return event_from_dict(raw)


def event_from_dict(raw: Any) -> StripeEvent:
    """A StripeEvent from an event as a dict (e.g. `client.v1.events.retrieve(id).to_dict()`)."""
    data = raw.get("data") if isinstance(raw, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict) or raw.get("object") != "event":
        raise InvalidPayload("The webhook body is not a Stripe event.")
    try:
        return StripeEvent(id=str(raw["id"]), type=str(raw["type"]), created=int(raw["created"]),
                           api_version=raw.get("api_version"), livemode=bool(raw.get("livemode")),
                           data_object=data["object"], previous_attributes=data.get("previous_attributes"),
                           raw=raw)
    except (KeyError, TypeError, ValueError):
        raise InvalidPayload("The webhook body is not a Stripe event.") from None
