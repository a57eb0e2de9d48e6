"""SQL for an organization's saved payment methods (Stripe's display details only)."""

from __future__ import annotations

from typing import Any

from shared.db.session import Row, Session
from shared.domain.ledger import BillingAccount, PaymentMethod, PaymentMethodDetails

COLUMNS = ("m.payment_method_id, m.organization_id, m.billing_account_id, m.stripe_payment_method_id, m.type,"
           " m.brand, m.last4, m.exp_month, m.exp_year, m.bank_name, m.account_holder_type, m.nickname, m.status,"
           " m.stripe_payment_method_id IS NOT DISTINCT FROM a.default_payment_method_id AS is_default,"
           " m.created_at, m.updated_at")
FROM = "FROM payment_methods m JOIN billing_accounts a USING (billing_account_id)"


class PaymentMethodRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def upsert(self, account: BillingAccount, details: PaymentMethodDetails, *,
               nickname: str | None = None) -> PaymentMethod:
        """Save or refresh the method as active on the account (a nickname given now replaces the old one)."""
        self._session.execute(
            "INSERT INTO payment_methods (organization_id, billing_account_id, stripe_payment_method_id, type, brand,"
            " last4, exp_month, exp_year, bank_name, account_holder_type, nickname)"
            " VALUES (:org, :account, :pm, :type, :brand, :last4, :exp_month, :exp_year, :bank, :holder, :nickname)"
            " ON CONFLICT (stripe_payment_method_id) DO UPDATE SET status = 'active', type = EXCLUDED.type,"
            " brand = EXCLUDED.brand, last4 = EXCLUDED.last4, exp_month = EXCLUDED.exp_month,"
            " exp_year = EXCLUDED.exp_year, bank_name = EXCLUDED.bank_name,"
            " account_holder_type = EXCLUDED.account_holder_type,"
            " nickname = COALESCE(EXCLUDED.nickname, payment_methods.nickname)"
            " WHERE payment_methods.billing_account_id = EXCLUDED.billing_account_id",
            org=account.organization_id, account=account.billing_account_id, pm=details.stripe_payment_method_id,
            type=details.type, brand=details.brand, last4=details.last4, exp_month=details.exp_month,
            exp_year=details.exp_year, bank=details.bank_name, holder=details.account_holder_type, nickname=nickname)
        method = self.by_stripe_id(details.stripe_payment_method_id)
        assert method is not None
        return method

    def get(self, organization_id: int, payment_method_id: int) -> PaymentMethod | None:
        row = self._session.fetch_one(f"SELECT {COLUMNS} {FROM} WHERE m.organization_id = :org"
                                      " AND m.payment_method_id = :id", org=organization_id, id=payment_method_id)
        return method_from_row(row) if row else None

    def by_stripe_id(self, stripe_payment_method_id: str) -> PaymentMethod | None:
        row = self._session.fetch_one(f"SELECT {COLUMNS} {FROM} WHERE m.stripe_payment_method_id = :pm",
                                      pm=stripe_payment_method_id)
        return method_from_row(row) if row else None

    def list_active(self, organization_id: int) -> list[PaymentMethod]:
        """Active methods, the default first, then newest first."""
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} {FROM} WHERE m.organization_id = :org AND m.status = 'active'"
            " ORDER BY is_default DESC, m.created_at DESC, m.payment_method_id DESC", org=organization_id)
        return [method_from_row(r) for r in rows]

    def deactivate(self, stripe_payment_method_id: str) -> PaymentMethod | None:
        self._session.execute("UPDATE payment_methods SET status = 'inactive' WHERE stripe_payment_method_id = :pm",
                              pm=stripe_payment_method_id)
        return self.by_stripe_id(stripe_payment_method_id)


def method_from_row(row: Row) -> PaymentMethod:
    values: dict[str, Any] = dict(row)
    return PaymentMethod(**values)
