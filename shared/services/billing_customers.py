"""The Stripe customer of an organization's billing account: created once, on first use or by the subscriber.

Stripe is called outside any database transaction (no row lock is held across the network), with the
idempotency key `customer:<organization id>`: two callers racing both get the same customer from
Stripe, and `set_customer` keeps the first one stored.
"""

from __future__ import annotations

import stripe as stripe_lib
from stripe.params import CustomerCreateParams

from shared.adapters.stripe.client import get_stripe_client
from shared.adapters.stripe.errors import stripe_errors
from shared.db.uow import UnitOfWork
from shared.domain.errors import NotFound
from shared.domain.ledger import BillingAccount
from shared.domain.organizations import Organization


def ensure_customer(organization_id: int, *, uow: UnitOfWork,
                    stripe: stripe_lib.StripeClient | None = None) -> BillingAccount:
    """The organization's billing account with its Stripe customer, creating the customer if it has none."""
    with uow:
        organization, account = open_account(uow, organization_id)
        uow.commit()
    if account.stripe_customer_id:
        return account
    customer_id = _create_customer(stripe or get_stripe_client(), organization, account)
    with uow:
        account = uow.billing_accounts.set_customer(organization_id, customer_id)
        uow.commit()
    return account


def open_account(uow: UnitOfWork, organization_id: int, *, lock: bool = False) -> tuple[Organization, BillingAccount]:
    """The organization and its billing account, opened now for an organization that predates billing."""
    organization = uow.organizations.get(organization_id, uow.scope)
    if organization is None:
        raise NotFound(f"Organization {organization_id} was not found.")
    account = uow.billing_accounts.get(organization_id, lock=lock)
    if account is None:  # the migration's trigger opens one with every organization; this is a safety net
        uow.billing_accounts.open(organization_id, organization.contact_email)
        account = uow.billing_accounts.get(organization_id, lock=lock)
        assert account is not None
    return organization, account


def _create_customer(client: stripe_lib.StripeClient, organization: Organization, account: BillingAccount) -> str:
    """One customer per organization, whoever asks and however often (Stripe replays the keyed answer)."""
    params: CustomerCreateParams = {
        "name": organization.name,
        "metadata": {"organization_id": str(organization.organization_id),
                     "organization_type": organization.type.value},
    }
    if account.billing_email:  # the real billing email or none at all, never an invented one
        params["email"] = account.billing_email
    with stripe_errors():
        customer = client.v1.customers.create(
            params=params, options={"idempotency_key": f"customer:{organization.organization_id}"})
    return str(customer.id)
