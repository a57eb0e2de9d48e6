"""The official Stripe client, built once per process from settings.

`stripe.StripeClient` takes the base address (`base_addresses={"api": ...}`, so the sandbox can stand
in for https://api.stripe.com), `max_network_retries`, and an HTTP client carrying the timeout
(`stripe.RequestsClient(timeout=...)`; the default would wait 80 s). The library retries connection
errors, 409 and 5xx (not 429) with jittered back-off, and every retry of a POST carries the same
`Idempotency-Key` (it sets one per call before its retry loop), so a retried create never acts twice.
"""

from __future__ import annotations

from functools import cache

import stripe

from shared.config import get_settings


@cache
def get_stripe_client() -> stripe.StripeClient:
    """The process's Stripe client; share it between threads (tests clear the cache)."""
    settings = get_settings()
    return stripe.StripeClient(
        settings.stripe_secret_key,
        base_addresses={"api": settings.stripe_api_base.rstrip("/")},
        max_network_retries=settings.stripe_max_retries,
        http_client=stripe.RequestsClient(timeout=settings.stripe_timeout_s),
    )
