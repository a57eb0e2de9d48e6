"""Billing account use cases: read and configure the account, the dashboard, and the money lists.

Every route acts on the caller's own organization; Admin and PlatformOwner may name another
(`organization_id`). A caller without an organization has no billing (404).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import stripe as stripe_lib

from shared.adapters.stripe.client import get_stripe_client
from shared.adapters.stripe.errors import stripe_errors
from shared.auth.policy import authorize
from shared.db.uow import UnitOfWork
from shared.domain.audit import AuditEntry, diff
from shared.domain.errors import NotFound, ValidationFailed
from shared.domain.ledger import (
    BillingAccount,
    Invoice,
    LedgerEntry,
    Payment,
    PaymentMethod,
    UsageRecord,
    format_amount,
    parse_amount,
)
from shared.domain.paging import PageRequest, PageResult
from shared.domain.principal import Actor
from shared.schemas.billing_accounts import BillingConfigUpdate
from shared.services.billing_customers import open_account

RECENT_TRANSACTIONS = 10
# Settings only platform administrators change: postpaid and a credit limit both lift the prepaid floor.
ADMIN_ONLY = ("billing_mode", "credit_limit_cents")
AMOUNTS = ("auto_recharge_threshold", "auto_recharge_amount", "credit_limit")
NULLABLE = frozenset({"billing_address", "tax_info"})


@dataclass(frozen=True)
class Dashboard:
    account: BillingAccount
    payment_methods: list[PaymentMethod]
    recent_transactions: list[LedgerEntry]
    monthly_spend_cents: int
    pending_invoices: list[Invoice]
    pending_payments: list[Payment]


@dataclass(frozen=True)
class OffsetPage(PageRequest):
    """The original's `limit`/`offset` paging: an offset that need not fall on a page boundary."""

    start: int = 0

    @property
    def offset(self) -> int:
        return self.start


def offset_page(limit: int, offset: int) -> OffsetPage:
    return OffsetPage(page=offset // limit + 1, page_size=limit, start=offset)


def target_organization(uow: UnitOfWork, actor: Actor, organization_id: int | None) -> int:
    """The organization a billing call acts on: the caller's, or another one an administrator names."""
    user = actor.user
    if organization_id is None or organization_id == user.organization_id:
        if user.organization_id is None:
            raise NotFound("You belong to no organization, so you have no billing account; "
                           "administrators pass ?organization_id=.")
        return user.organization_id
    if not user.role.crosses_tenants or uow.organizations.get(organization_id, uow.scope) is None:
        raise NotFound(f"Organization {organization_id} was not found.")
    return organization_id


def get_account(organization_id: int | None, *, uow: UnitOfWork, actor: Actor) -> BillingAccount:
    with uow:
        _, account = open_account(uow, target_organization(uow, actor, organization_id))
        uow.commit()
    return account


def update_config(organization_id: int | None, cmd: BillingConfigUpdate, *, uow: UnitOfWork, actor: Actor,
                  stripe: stripe_lib.StripeClient | None = None) -> BillingAccount:
    """Partial update of the settings; the Stripe customer's email follows a new billing email.

    Stripe is told first, outside the transaction: a refused update changes nothing here.
    """
    with uow:
        org_id = target_organization(uow, actor, organization_id)
        _, current = open_account(uow, org_id)
        uow.commit()
    changes = config_changes(current, cmd, actor)
    if "billing_email" in changes and current.stripe_customer_id:
        with stripe_errors():
            (stripe or get_stripe_client()).v1.customers.update(
                current.stripe_customer_id, params={"email": changes["billing_email"]})
    with uow:
        _, locked = open_account(uow, org_id, lock=True)
        changes = config_changes(locked, cmd, actor)  # against the row as it is now
        account = uow.billing_accounts.update(org_id, changes)
        changed = diff(_settings(locked), _settings(account))
        if changed:
            uow.audit.record(actor, AuditEntry("billing_account.update", "billing_account",
                                               str(account.billing_account_id), org_id, changed))
        uow.commit()
    return account


def config_changes(account: BillingAccount, cmd: BillingConfigUpdate, actor: Actor) -> dict[str, Any]:
    """The repository changes `cmd` asks for, validated against the account (403/422 before anything changes)."""
    given = cmd.model_dump(exclude_unset=True)
    nulls = sorted(name for name, value in given.items() if value is None and name not in NULLABLE)
    if nulls:
        raise ValidationFailed("The request is not valid.", details=[
            {"field": name, "location": "body", "message": "must not be null"} for name in nulls])
    changes: dict[str, Any] = {name: value for name, value in given.items() if name not in AMOUNTS}
    for name in AMOUNTS:
        if name in given:
            changes[f"{name}_cents"] = _non_negative(given[name], account.currency, name)
    changes = {k: v for k, v in changes.items() if getattr(account, k) != v}
    if any(name in changes for name in ADMIN_ONLY):
        authorize(actor.user, "billing.mode")
    enabled = changes.get("auto_recharge_enabled", account.auto_recharge_enabled)
    if enabled and changes.get("auto_recharge_amount_cents", account.auto_recharge_amount_cents) <= 0:
        raise ValidationFailed("Automatic recharge needs an auto_recharge_amount greater than zero.",
                               details=[{"field": "auto_recharge_amount", "location": "body",
                                         "message": "must be greater than zero when auto_recharge_enabled"}])
    return changes


def _non_negative(value: Decimal, currency: str, name: str) -> int:
    """Zero or a positive amount in minor units; more places than the currency has is refused."""
    if value == 0:
        return 0
    if value < 0:
        raise ValidationFailed(f"{name} must not be negative.",
                               details=[{"field": name, "location": "body", "message": "must not be negative"}])
    try:
        return parse_amount(value, currency)
    except ValidationFailed as error:
        raise ValidationFailed(f"{name}: {error.message}",
                               details=[{"field": name, "location": "body", "message": error.message}]) from error


def _settings(account: BillingAccount) -> dict[str, Any]:
    return {
        "billing_mode": account.billing_mode.value, "auto_recharge_enabled": account.auto_recharge_enabled,
        "auto_recharge_threshold": str(format_amount(account.auto_recharge_threshold_cents, account.currency)),
        "auto_recharge_amount": str(format_amount(account.auto_recharge_amount_cents, account.currency)),
        "credit_limit": str(format_amount(account.credit_limit_cents, account.currency)),
        "billing_email": account.billing_email, "invoice_day_of_month": account.invoice_day_of_month,
        "payment_terms_days": account.payment_terms_days, "billing_address": account.billing_address,
        "tax_info": account.tax_info,
    }


def dashboard(organization_id: int | None, *, uow: UnitOfWork, actor: Actor,
              now: datetime | None = None) -> Dashboard:
    """The account, its methods, the last entries, this calendar month's spend (UTC) and what is still open."""
    month_start = (now or datetime.now(UTC)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    with uow:
        org_id = target_organization(uow, actor, organization_id)
        _, account = open_account(uow, org_id)
        board = Dashboard(
            account=account, payment_methods=uow.payment_methods.list_active(org_id),
            recent_transactions=uow.ledger.recent(org_id, RECENT_TRANSACTIONS),
            monthly_spend_cents=uow.ledger.spent_since(org_id, month_start),
            pending_invoices=uow.invoices.open_for(org_id), pending_payments=uow.payments.open_for(org_id))
        uow.commit()
    return board


def list_transactions(organization_id: int | None, page: PageRequest, *, uow: UnitOfWork,
                      actor: Actor) -> PageResult[LedgerEntry]:
    """Ledger entries, newest first."""
    with uow:
        return uow.ledger.list(target_organization(uow, actor, organization_id), page)


def list_usage(organization_id: int | None, start: date | None, end: date | None, page: PageRequest, *,
               uow: UnitOfWork, actor: Actor) -> PageResult[UsageRecord]:
    """Daily usage records between `start` and `end` (inclusive), newest first."""
    with uow:
        return uow.usage_records.list(target_organization(uow, actor, organization_id), start, end, page)


def list_invoices(organization_id: int | None, page: PageRequest, *, uow: UnitOfWork,
                  actor: Actor) -> PageResult[Invoice]:
    """Monthly invoices, newest first."""
    with uow:
        return uow.invoices.list(target_organization(uow, actor, organization_id), page)
