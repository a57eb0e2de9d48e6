"""Payment method use cases: SetupIntents for Stripe.js, saving a confirmed method, default, removal.

Card numbers never reach us: the client confirms a SetupIntent (or creates a `pm_` id) with Stripe.js
and tells us which; we check with Stripe that the method is, or becomes, our customer's and keep its
display details. Stripe calls happen between transactions, never inside one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe as stripe_lib
from stripe.params import SetupIntentCreateParams

from shared.adapters.stripe.client import get_stripe_client
from shared.adapters.stripe.errors import stripe_errors
from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.audit import AuditEntry
from shared.domain.errors import Conflict, NotFound
from shared.domain.ledger import BillingAccount, PaymentMethod, PaymentMethodDetails
from shared.domain.principal import Actor
from shared.schemas.billing_accounts import PaymentMethodCreate
from shared.services.billing import target_organization
from shared.services.billing_customers import ensure_customer, open_account

# Detaching a method Stripe no longer has, or that is no longer attached, leaves it detached: done.
ALREADY_DETACHED = frozenset({"resource_missing", "payment_method_unexpected_state"})


@dataclass(frozen=True)
class SetupIntentView:
    setup_intent_id: str
    client_secret: str
    publishable_key: str
    status: str


def create_setup_intent(organization_id: int | None, *, uow: UnitOfWork, actor: Actor,
                        stripe: stripe_lib.StripeClient | None = None) -> SetupIntentView:
    """A SetupIntent on the organization's customer, for Stripe.js to confirm with the card."""
    client = stripe or get_stripe_client()
    account = _customer_account(organization_id, uow, actor, client)
    with stripe_errors():
        params: SetupIntentCreateParams = {
            "customer": _customer(account), "usage": "off_session", "allowed_payment_method_types": ["card"],
            "metadata": {"organization_id": str(account.organization_id)}}
        intent = client.v1.setup_intents.create(params=params)
    return SetupIntentView(str(intent.id), str(intent.client_secret), get_settings().stripe_publishable_key,
                           str(intent.status))


def add_payment_method(organization_id: int | None, cmd: PaymentMethodCreate, *, uow: UnitOfWork, actor: Actor,
                       stripe: stripe_lib.StripeClient | None = None) -> PaymentMethod:
    """Save a method the client confirmed: by its SetupIntent, or a `pm_` id (attached now, as the original did)."""
    client = stripe or get_stripe_client()
    account = _customer_account(organization_id, uow, actor, client)
    if cmd.setup_intent_id is not None:
        pm = _from_setup_intent(client, account, cmd.setup_intent_id)
    else:
        assert cmd.payment_method_id is not None
        pm = _attached(client, account, cmd.payment_method_id)
    details = PaymentMethodDetails.from_stripe(pm)
    make_default = cmd.set_as_default or account.default_payment_method_id is None
    if make_default:
        _stripe_default(client, account, details.stripe_payment_method_id)
    with uow:
        _, account = open_account(uow, account.organization_id, lock=True)
        method = uow.payment_methods.upsert(account, details, nickname=cmd.nickname)
        if make_default:
            uow.billing_accounts.set_default_payment_method(account.organization_id, method.stripe_payment_method_id)
            method = _reread(uow, method)
        uow.audit.record(actor, AuditEntry("payment_method.add", "payment_method", str(method.payment_method_id),
                                           account.organization_id, _summary(method)))
        uow.commit()
    return method


def list_payment_methods(organization_id: int | None, *, uow: UnitOfWork, actor: Actor) -> list[PaymentMethod]:
    """Active methods, the default first."""
    with uow:
        return uow.payment_methods.list_active(target_organization(uow, actor, organization_id))


def set_default(organization_id: int | None, payment_method_id: int, *, uow: UnitOfWork, actor: Actor,
                stripe: stripe_lib.StripeClient | None = None) -> PaymentMethod:
    """Make a method the default here and on the Stripe customer (what invoices charge)."""
    method, account = _active_method(organization_id, payment_method_id, uow, actor)
    _stripe_default(stripe or get_stripe_client(), account, method.stripe_payment_method_id)
    with uow:
        open_account(uow, account.organization_id, lock=True)
        method = _active(uow, account.organization_id, payment_method_id)
        uow.billing_accounts.set_default_payment_method(account.organization_id, method.stripe_payment_method_id)
        method = _reread(uow, method)
        uow.audit.record(actor, AuditEntry(
            "payment_method.set_default", "payment_method", str(payment_method_id), account.organization_id,
            {"default_payment_method_id": {"before": account.default_payment_method_id,
                                           "after": method.stripe_payment_method_id}}))
        uow.commit()
    return method


def remove_payment_method(organization_id: int | None, payment_method_id: int, *, uow: UnitOfWork, actor: Actor,
                          stripe: stripe_lib.StripeClient | None = None) -> None:
    """Detach in Stripe and deactivate here; a removed default passes to the newest other method, or none."""
    client = stripe or get_stripe_client()
    method, account = _active_method(organization_id, payment_method_id, uow, actor)
    _detach(client, method.stripe_payment_method_id)
    with uow:
        _, account = open_account(uow, account.organization_id, lock=True)
        uow.payment_methods.deactivate(method.stripe_payment_method_id)
        successor = None
        if account.default_payment_method_id in (None, method.stripe_payment_method_id):
            others = uow.payment_methods.list_active(account.organization_id)
            successor = others[0].stripe_payment_method_id if others else None
            uow.billing_accounts.set_default_payment_method(account.organization_id, successor)
        uow.audit.record(actor, AuditEntry("payment_method.remove", "payment_method", str(payment_method_id),
                                           account.organization_id,
                                           {"status": {"before": "active", "after": "inactive"}}))
        uow.commit()
    if successor is not None:  # Stripe forgot the detached default; tell it the new one
        _stripe_default(client, account, successor)


def _customer_account(organization_id: int | None, uow: UnitOfWork, actor: Actor,
                      client: stripe_lib.StripeClient) -> BillingAccount:
    with uow:
        org_id = target_organization(uow, actor, organization_id)
    return ensure_customer(org_id, uow=uow, stripe=client)


def _customer(account: BillingAccount) -> str:
    assert account.stripe_customer_id is not None, "ensure_customer gives every account a customer"
    return account.stripe_customer_id


def _from_setup_intent(client: stripe_lib.StripeClient, account: BillingAccount, setup_intent_id: str) -> dict[
        str, Any]:
    """The method a succeeded SetupIntent of our customer saved (another customer's intent is a 404)."""
    with stripe_errors():
        intent = client.v1.setup_intents.retrieve(setup_intent_id, params={"expand": ["payment_method"]}).to_dict()
    if _id(intent.get("customer")) != account.stripe_customer_id:
        raise NotFound(f"Setup intent {setup_intent_id} was not found.")
    if intent.get("status") != "succeeded" or not intent.get("payment_method"):
        raise Conflict(f"Setup intent {setup_intent_id} is {intent.get('status')}; confirm it with Stripe.js first.")
    pm = intent["payment_method"]
    if not isinstance(pm, dict):
        with stripe_errors():
            pm = client.v1.payment_methods.retrieve(str(pm)).to_dict()
    return _ours(pm, account, str(pm["id"]))


def _attached(client: stripe_lib.StripeClient, account: BillingAccount, payment_method_id: str) -> dict[str, Any]:
    """The method attached to our customer: attached now if it is nobody's, refused if it is someone else's."""
    with stripe_errors():
        pm = client.v1.payment_methods.retrieve(payment_method_id).to_dict()
        if pm.get("customer") is None:
            pm = client.v1.payment_methods.attach(payment_method_id,
                                                  params={"customer": _customer(account)}).to_dict()
    return _ours(pm, account, payment_method_id)


def _ours(pm: dict[str, Any], account: BillingAccount, asked: str) -> dict[str, Any]:
    if _id(pm.get("customer")) != account.stripe_customer_id:
        raise NotFound(f"Payment method {asked} was not found.")
    return pm


def _stripe_default(client: stripe_lib.StripeClient, account: BillingAccount, stripe_payment_method_id: str) -> None:
    with stripe_errors():
        client.v1.customers.update(_customer(account), params={
            "invoice_settings": {"default_payment_method": stripe_payment_method_id}})


def _detach(client: stripe_lib.StripeClient, stripe_payment_method_id: str) -> None:
    with stripe_errors():
        try:
            client.v1.payment_methods.detach(stripe_payment_method_id)
        except stripe_lib.InvalidRequestError as error:
            if error.code not in ALREADY_DETACHED:
                raise


def _active_method(organization_id: int | None, payment_method_id: int, uow: UnitOfWork,
                   actor: Actor) -> tuple[PaymentMethod, BillingAccount]:
    with uow:
        org_id = target_organization(uow, actor, organization_id)
        _, account = open_account(uow, org_id)
        return _active(uow, org_id, payment_method_id), account


def _active(uow: UnitOfWork, organization_id: int, payment_method_id: int) -> PaymentMethod:
    method = uow.payment_methods.get(organization_id, payment_method_id)
    if method is None or method.status != "active":
        raise NotFound(f"Payment method {payment_method_id} was not found.")
    return method


def _reread(uow: UnitOfWork, method: PaymentMethod) -> PaymentMethod:
    """The method with `is_default` as the account now says."""
    fresh = uow.payment_methods.get(method.organization_id, method.payment_method_id)
    assert fresh is not None
    return fresh


def _summary(method: PaymentMethod) -> dict[str, Any]:
    return {"stripe_payment_method_id": {"before": None, "after": method.stripe_payment_method_id},
            "brand": {"before": None, "after": method.brand}, "last4": {"before": None, "after": method.last4}}


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        return str(value.get("id")) if value.get("id") else None
    return str(value) if value else None
