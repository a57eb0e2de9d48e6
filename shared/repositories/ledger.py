"""SQL for the ledger (table `transactions`): completed entries, appended under the account's row lock."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shared.db.session import Row, Session
from shared.domain.ledger import SPENDING, EntryType, LedgerEntry, NewEntry, Posting
from shared.domain.paging import TOTAL_CAP, PageRequest, PageResult
from shared.repositories.billing_accounts import COLUMNS as ACCOUNT_COLUMNS
from shared.repositories.billing_accounts import account_from_row

COLUMNS = ("transaction_id, organization_id, billing_account_id, type, amount_cents, currency, balance_before_cents,"
           " balance_after_cents, entry_key, reference_type, reference_id, stripe_payment_intent_id,"
           " stripe_invoice_id, stripe_charge_id, description, metadata, processed_at")
# Insert the entry and move the balance in one statement, against the balance read under the lock.
BOOK = f"""
WITH entry AS (
    INSERT INTO transactions (organization_id, billing_account_id, type, amount_cents, currency,
                              balance_before_cents, balance_after_cents, entry_key, reference_type, reference_id,
                              stripe_payment_intent_id, stripe_invoice_id, stripe_charge_id, description, metadata)
    VALUES (:org, :account, :type, :amount, :currency, :before, CAST(:before AS BIGINT) + CAST(:amount AS BIGINT),
            :key, :reference_type, :reference_id, :intent, :invoice, :charge, :description, CAST(:metadata AS JSONB))
    ON CONFLICT (entry_key) DO NOTHING
    RETURNING {COLUMNS}
), moved AS (
    UPDATE billing_accounts SET balance_cents = entry.balance_after_cents
    FROM entry WHERE billing_accounts.billing_account_id = entry.billing_account_id
)
SELECT {COLUMNS} FROM entry
"""


@dataclass(frozen=True)
class Discrepancy:
    """An account whose stored balance is not the sum of its entries (there must never be one)."""

    billing_account_id: int
    balance_cents: int
    ledger_sum_cents: int


class LedgerRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def post(self, organization_id: int, entry: NewEntry, *, enforce_floor: bool = False) -> Posting:
        """Book `entry` on the organization's account once; a key already booked returns that entry untouched.

        The account row is locked first, so concurrent postings to one account line up and each sees
        the balance the previous one left. `enforce_floor` holds spending debits of prepaid accounts to
        the account's floor (InsufficientFunds).
        """
        row = self._session.fetch_one(
            f"SELECT {ACCOUNT_COLUMNS} FROM billing_accounts WHERE organization_id = :org FOR UPDATE",
            org=organization_id)
        assert row is not None, f"organization {organization_id} has no billing account"
        account = account_from_row(row)
        existing = self.by_key(entry.key)
        if existing is not None:
            return Posting(existing, booked=False, account=account)
        if enforce_floor and entry.type in SPENDING:
            account.check_spend(-entry.amount_cents)
        booked = self._session.fetch_one(BOOK, **_params(account.billing_account_id, organization_id,
                                                           account.currency, account.balance_cents, entry))
        assert booked is not None, f"entry {entry.key} appeared while its account was locked"
        moved = account.balance_cents + entry.amount_cents
        return Posting(entry_from_row(booked), booked=True, account=replace(account, balance_cents=moved))

    def by_key(self, key: str) -> LedgerEntry | None:
        row = self._session.fetch_one(f"SELECT {COLUMNS} FROM transactions WHERE entry_key = :key", key=key)
        return entry_from_row(row) if row else None

    def recent(self, organization_id: int, limit: int) -> list[LedgerEntry]:
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM transactions WHERE organization_id = :org"
            " ORDER BY processed_at DESC, transaction_id DESC LIMIT :limit", org=organization_id, limit=limit)
        return [entry_from_row(r) for r in rows]

    def spent_since(self, organization_id: int, since: datetime) -> int:
        """Cents spent (usage charges and debits) since `since`, as a positive number."""
        spent = self._session.fetch_value(
            "SELECT COALESCE(-sum(amount_cents), 0) FROM transactions WHERE organization_id = :org"
            " AND type = ANY(CAST(:entry_types AS TEXT[])) AND processed_at >= :since",
            org=organization_id, entry_types=[t.value for t in SPENDING], since=since)
        return int(spent)

    def refunded_for_charge(self, stripe_charge_id: str) -> int:
        """Cents of the charge refunded in the ledger so far, as a positive number."""
        refunded = self._session.fetch_value(
            "SELECT COALESCE(-sum(amount_cents), 0) FROM transactions WHERE stripe_charge_id = :charge"
            " AND type = :type", charge=stripe_charge_id, type=EntryType.REFUND.value)
        return int(refunded)

    def discrepancies(self) -> list[Discrepancy]:
        """Accounts whose balance differs from the sum of their entries, or whose entries do not chain."""
        rows = self._session.fetch_all(
            "SELECT a.billing_account_id, a.balance_cents, COALESCE(s.total, 0) AS total FROM billing_accounts a"
            " LEFT JOIN (SELECT billing_account_id, sum(amount_cents) AS total FROM transactions"
            "            GROUP BY billing_account_id) s USING (billing_account_id)"
            " WHERE a.balance_cents <> COALESCE(s.total, 0)"
            " OR EXISTS (SELECT 1 FROM (SELECT balance_before_cents, lag(balance_after_cents, 1, 0::BIGINT)"
            "            OVER (ORDER BY transaction_id) AS previous FROM transactions t"
            "            WHERE t.billing_account_id = a.billing_account_id) c"
            "            WHERE c.balance_before_cents <> c.previous)")
        return [Discrepancy(r["billing_account_id"], r["balance_cents"], int(r["total"])) for r in rows]


    def list(self, organization_id: int, page: PageRequest) -> PageResult[LedgerEntry]:
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM transactions WHERE organization_id = :org"
            " ORDER BY processed_at DESC, transaction_id DESC LIMIT :limit OFFSET :offset",
            org=organization_id, limit=page.page_size, offset=page.offset)
        matched = self._session.fetch_value(
            "SELECT count(*) FROM (SELECT 1 FROM transactions WHERE organization_id = :org"
            f" LIMIT {TOTAL_CAP + 1}) AS capped", org=organization_id)
        return PageResult.counted([entry_from_row(r) for r in rows], int(matched), page)

def _params(account_id: int, organization_id: int, currency: str, before: int, entry: NewEntry) -> dict[str, Any]:
    return {
        "org": organization_id, "account": account_id, "type": entry.type.value, "amount": entry.amount_cents,
        "currency": currency, "before": before, "key": entry.key, "reference_type": entry.reference_type,
        "reference_id": entry.reference_id, "intent": entry.stripe_payment_intent_id,
        "invoice": entry.stripe_invoice_id, "charge": entry.stripe_charge_id, "description": entry.description,
        "metadata": json.dumps(entry.metadata, default=str),
    }


def entry_from_row(row: Row) -> LedgerEntry:
    metadata = row["metadata"]
    return LedgerEntry(
        transaction_id=row["transaction_id"], organization_id=row["organization_id"],
        billing_account_id=row["billing_account_id"], type=EntryType(row["type"]), amount_cents=row["amount_cents"],
        currency=row["currency"], balance_before_cents=row["balance_before_cents"],
        balance_after_cents=row["balance_after_cents"], entry_key=row["entry_key"],
        reference_type=row["reference_type"], reference_id=row["reference_id"],
        stripe_payment_intent_id=row["stripe_payment_intent_id"], stripe_invoice_id=row["stripe_invoice_id"],
        stripe_charge_id=row["stripe_charge_id"], description=row["description"],
        metadata=metadata if isinstance(metadata, dict) else json.loads(metadata),
        processed_at=row["processed_at"],
    )
