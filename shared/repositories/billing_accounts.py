"""SQL for billing accounts: one per organization."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from shared.db.session import Row, Session
from shared.domain.ledger import AccountStatus, BillingAccount, BillingMode

COLUMNS = ("billing_account_id, organization_id, stripe_customer_id, billing_mode, currency, balance_cents,"
           " credit_limit_cents, default_payment_method_id, auto_recharge_enabled, auto_recharge_threshold_cents,"
           " auto_recharge_amount_cents, invoice_day_of_month, payment_terms_days, status, billing_email,"
           " billing_address, tax_info, created_at, updated_at")
# What `update` may change; the balance changes only through the ledger.
UPDATABLE = frozenset({"billing_mode", "credit_limit_cents", "auto_recharge_enabled", "auto_recharge_threshold_cents",
                       "auto_recharge_amount_cents", "invoice_day_of_month", "payment_terms_days", "status",
                       "billing_email", "billing_address", "tax_info"})
JSON_COLUMNS = frozenset({"billing_address", "tax_info"})


class BillingAccountRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def open(self, organization_id: int, billing_email: str | None, currency: str = "USD") -> BillingAccount:
        """The organization's account (opened now if it has none), with a billing email if it had none."""
        self._session.execute(
            "INSERT INTO billing_accounts (organization_id, billing_email, currency) VALUES (:org, :email, :currency)"
            " ON CONFLICT (organization_id) DO UPDATE"
            " SET billing_email = COALESCE(billing_accounts.billing_email, EXCLUDED.billing_email)",
            org=organization_id, email=billing_email, currency=currency)
        account = self.get(organization_id)
        assert account is not None
        return account

    def get(self, organization_id: int, *, lock: bool = False) -> BillingAccount | None:
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM billing_accounts WHERE organization_id = :org{' FOR UPDATE' if lock else ''}",
            org=organization_id)
        return account_from_row(row) if row else None

    def by_customer(self, stripe_customer_id: str) -> BillingAccount | None:
        row = self._session.fetch_one(f"SELECT {COLUMNS} FROM billing_accounts WHERE stripe_customer_id = :customer",
                                      customer=stripe_customer_id)
        return account_from_row(row) if row else None

    def set_customer(self, organization_id: int, stripe_customer_id: str) -> BillingAccount:
        """Store the Stripe customer; a customer already stored is kept (the first creation wins)."""
        row = self._session.fetch_one(
            f"UPDATE billing_accounts SET stripe_customer_id = COALESCE(stripe_customer_id, :customer)"
            f" WHERE organization_id = :org RETURNING {COLUMNS}", org=organization_id, customer=stripe_customer_id)
        assert row is not None, f"organization {organization_id} has no billing account"
        return account_from_row(row)

    def update(self, organization_id: int, changes: Mapping[str, Any]) -> BillingAccount:
        unknown = set(changes) - UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        account = self.get(organization_id)
        assert account is not None, f"organization {organization_id} has no billing account"
        if not changes:
            return account
        sets = ", ".join(f"{name} = CAST(:{name} AS JSONB)" if name in JSON_COLUMNS else f"{name} = :{name}"
                         for name in changes)
        params = {name: json.dumps(value) if name in JSON_COLUMNS and value is not None else _plain(value)
                  for name, value in changes.items()}
        row = self._session.fetch_one(
            f"UPDATE billing_accounts SET {sets} WHERE organization_id = :org RETURNING {COLUMNS}",
            org=organization_id, **params)
        assert row is not None
        return account_from_row(row)

    def set_default_payment_method(self, organization_id: int, stripe_payment_method_id: str | None) -> None:
        self._session.execute(
            "UPDATE billing_accounts SET default_payment_method_id = :pm WHERE organization_id = :org",
            org=organization_id, pm=stripe_payment_method_id)

    def without_customer(self, limit: int) -> list[BillingAccount]:
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM billing_accounts WHERE stripe_customer_id IS NULL"
            " ORDER BY billing_account_id LIMIT :limit", limit=limit)
        return [account_from_row(r) for r in rows]


def _plain(value: Any) -> Any:
    """Enums go to SQL as their values."""
    return value.value if isinstance(value, (BillingMode, AccountStatus)) else value


def _json(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    return value if isinstance(value, dict) else dict(json.loads(value))


def account_from_row(row: Row) -> BillingAccount:
    return BillingAccount(
        billing_account_id=row["billing_account_id"], organization_id=row["organization_id"],
        stripe_customer_id=row["stripe_customer_id"], billing_mode=BillingMode(row["billing_mode"]),
        currency=row["currency"], balance_cents=row["balance_cents"], credit_limit_cents=row["credit_limit_cents"],
        default_payment_method_id=row["default_payment_method_id"],
        auto_recharge_enabled=row["auto_recharge_enabled"],
        auto_recharge_threshold_cents=row["auto_recharge_threshold_cents"],
        auto_recharge_amount_cents=row["auto_recharge_amount_cents"],
        invoice_day_of_month=row["invoice_day_of_month"], payment_terms_days=row["payment_terms_days"],
        status=AccountStatus(row["status"]), billing_email=row["billing_email"],
        billing_address=_json(row["billing_address"]), tax_info=_json(row["tax_info"]),
        created_at=row["created_at"], updated_at=row["updated_at"],
    )
