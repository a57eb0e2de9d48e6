"""stripe-webhook: Stripe's signed events, verified on the raw body and applied exactly once."""

from __future__ import annotations

import logging

import flask
import functions_framework
from pydantic import BaseModel

from shared.adapters.stripe.webhooks import verify_event
from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from shared.http.errors import HttpError
from shared.http.router import Call, Router
from shared.services.stripe_events import handle_event

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 1 << 20  # Stripe's events stay under 64 KiB; anything near a mebibyte is not Stripe

router = Router("stripe-webhook", tag="Webhooks")


class StripeWebhookReceipt(BaseModel):
    received: bool
    status: str  # processed, ignored or duplicate


@router.route("POST", "/api/v1/public/webhooks/stripe", action=None, response=StripeWebhookReceipt,
              errors=(400, 413),  # a missing or wrong signature, a body past the limit
              rate_limited=False,  # Stripe's retries and bursts come from a few addresses; the signature guards
              summary="Stripe webhook (Stripe-Signature over the raw body)")
def stripe_webhook_event(call: Call) -> StripeWebhookReceipt:
    settings = get_settings()
    event = verify_event(_raw_body(call.request), call.request.headers.get("Stripe-Signature"),
                         settings.stripe_webhook_secrets, settings.stripe_webhook_tolerance_s)
    try:
        outcome = handle_event(event, uow=UnitOfWork(TenantScope.everything()))
    except Exception as error:  # recorded as failed; a non-2xx answer makes Stripe retry
        log.exception("stripe event %s (%s) not applied", event.id, event.type)
        raise HttpError(500, "event_failed", "The event could not be applied; it will be retried.") from error
    return StripeWebhookReceipt(received=True, status=outcome.status)


def _raw_body(request: flask.Request) -> bytes:
    """The body exactly as signed, refused past the size limit before and while reading it."""
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _too_large()
    raw = request.stream.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise _too_large()
    return raw


def _too_large() -> HttpError:
    return HttpError(413, "payload_too_large", f"The body exceeds the limit of {MAX_BODY_BYTES} bytes.")


@functions_framework.http
def stripe_webhook(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
