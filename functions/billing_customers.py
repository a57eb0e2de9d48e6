"""billing-customers: every new organization's billing account gets its Stripe customer, off the request path."""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent

from shared.adapters.stripe.errors import PaymentProviderUnavailable
from shared.db.uow import UnitOfWork
from shared.domain.errors import DomainError
from shared.domain.principal import TenantScope
from shared.events.envelope import Message
from shared.events.handlers import PermanentFailure, pubsub_handler
from shared.services.billing_customers import ensure_customer

# Emitted in the transaction that creates the organization and opens its account (services/organizations.py).
ACCOUNT_OPENED = "billing_account.opened"


@pubsub_handler("billing-customers")
def handle(message: Message) -> None:
    """Create the customer once (keyed by organization); Stripe being down raises, so Pub/Sub redelivers."""
    if message.event_type != ACCOUNT_OPENED:
        return
    organization_id = message.body.get("organization_id")
    if not isinstance(organization_id, int):
        raise PermanentFailure(f"{ACCOUNT_OPENED} without an organization id")
    try:
        ensure_customer(organization_id, uow=UnitOfWork(TenantScope.everything()))
    except PaymentProviderUnavailable:
        raise
    except DomainError as error:  # Stripe refused what we sent, or the organization is gone: retrying cannot help
        raise PermanentFailure(f"{type(error).__name__}: {error.message}") from error


@functions_framework.cloud_event
def billing_customers(cloud_event: CloudEvent) -> None:
    handle(cloud_event)
