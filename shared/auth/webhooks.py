"""Authenticating incoming webhooks: a shared bearer secret and Standard Webhooks signatures."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

from shared.domain.errors import Unauthenticated

TOLERANCE_S = 300


class WebhookRejected(Unauthenticated):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = reason


def check_bearer_secret(authorization: str | None, secret: str) -> None:
    """`Authorization: Bearer <secret>`, compared in constant time."""
    if not secret:
        raise WebhookRejected("webhook_not_configured", "This webhook has no secret configured.")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise WebhookRejected("missing_webhook_secret", "Send 'Authorization: Bearer <webhook secret>'.")
    if not hmac.compare_digest(given.strip().encode(), secret.encode()):
        raise WebhookRejected("invalid_webhook_secret", "The webhook secret does not match.")


def check_service_token(authorization: str | None, token: str) -> None:
    """`Authorization: Bearer <token>` of a calling service (not a user), compared in constant time."""
    if not token:
        raise WebhookRejected("service_not_configured", "This route has no service token configured.")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise WebhookRejected("missing_service_token", "Send 'Authorization: Bearer <service token>'.")
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise WebhookRejected("invalid_service_token", "The service token does not match.")


def check_standard_signature(headers: Mapping[str, str], body: bytes, secret: str, *,
                             now: float | None = None) -> None:
    """Verify `webhook-id`, `webhook-timestamp` and `webhook-signature` as Standard Webhooks defines them."""
    message_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (message_id and timestamp.isdigit() and signatures):
        raise WebhookRejected("missing_signature", "The webhook signature headers are missing.")
    if abs((now if now is not None else time.time()) - int(timestamp)) > TOLERANCE_S:
        raise WebhookRejected("stale_signature", "The webhook timestamp is outside the tolerance.")
    signed = f"{message_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(_signing_key(secret), signed, hashlib.sha256).digest())
    for candidate in signatures.split():
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected):
            return
    raise WebhookRejected("invalid_signature", "The webhook signature does not verify.")


def sign_standard(message_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """The `webhook-signature` header value for a body (tests and local tools)."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_signing_key(secret), signed, hashlib.sha256).digest()).decode()


def _signing_key(secret: str) -> bytes:
    encoded = secret.removeprefix("v1,").removeprefix("whsec_")
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise WebhookRejected("webhook_not_configured", "The webhook signing secret is not valid.") from exc
