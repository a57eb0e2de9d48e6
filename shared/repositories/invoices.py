"""SQL for monthly invoices, mirrored from Stripe: ours first (one per account and period), then Stripe's state."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from shared.db.session import Row, Session
from shared.domain.ledger import BillingAccount, Invoice, InvoiceStatus
from shared.domain.paging import TOTAL_CAP, PageRequest, PageResult

COLUMNS = ("invoice_id, organization_id, billing_account_id, invoice_number, stripe_invoice_id, period_start,"
           " period_end, currency, total_cents, amount_paid_cents, amount_due_cents, status, due_date, paid_at,"
           " hosted_invoice_url, attempt_count, last_failure, stripe_updated, line_items, created_at")
FINAL = (InvoiceStatus.PAID.value, InvoiceStatus.VOID.value)


class InvoiceRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, account: BillingAccount, *, period_start: date, period_end: date, total_cents: int,
            line_items: list[dict[str, Any]]) -> tuple[Invoice, bool]:
        """A new draft invoice of the account's period, or the one already there (False)."""
        row = self._session.fetch_one(
            "INSERT INTO invoices (organization_id, billing_account_id, period_start, period_end, currency,"
            " total_cents, amount_due_cents, line_items)"
            " VALUES (:org, :account, :start, :end, :currency, :total, :total, CAST(:lines AS JSONB))"
            f" ON CONFLICT (billing_account_id, period_start) DO NOTHING RETURNING {COLUMNS}",
            org=account.organization_id, account=account.billing_account_id, start=period_start, end=period_end,
            currency=account.currency, total=total_cents, lines=json.dumps(line_items))
        if row is not None:
            return invoice_from_row(row), True
        existing = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM invoices WHERE billing_account_id = :account AND period_start = :start",
            account=account.billing_account_id, start=period_start)
        assert existing is not None
        return invoice_from_row(existing), False

    def get(self, invoice_id: int, *, lock: bool = False) -> Invoice | None:
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM invoices WHERE invoice_id = :id{' FOR UPDATE' if lock else ''}", id=invoice_id)
        return invoice_from_row(row) if row else None

    def for_period(self, billing_account_id: int, period_start: date) -> Invoice | None:
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM invoices WHERE billing_account_id = :account AND period_start = :start",
            account=billing_account_id, start=period_start)
        return invoice_from_row(row) if row else None

    def attach_stripe(self, invoice_id: int, stripe_invoice: dict[str, Any], stripe_created: int) -> Invoice:
        """Store the Stripe invoice's id, number, amounts and status (a status we already hold as final stays)."""
        values = _stripe_values(stripe_invoice)
        row = self._session.fetch_one(
            "UPDATE invoices SET stripe_invoice_id = :stripe_id, invoice_number = COALESCE(:number, invoice_number),"
            " hosted_invoice_url = COALESCE(:url, hosted_invoice_url), due_date = COALESCE(:due, due_date),"
            " status = CASE WHEN status = ANY(CAST(:final AS TEXT[])) OR stripe_updated > :created THEN status"
            "               ELSE :status END,"
            " amount_due_cents = CASE WHEN stripe_updated > :created THEN amount_due_cents ELSE :due_cents END,"
            " stripe_updated = GREATEST(stripe_updated, :created)"
            f" WHERE invoice_id = :id RETURNING {COLUMNS}",
            id=invoice_id, created=stripe_created, final=list(FINAL), **values)
        assert row is not None, f"invoice {invoice_id} does not exist"
        return invoice_from_row(row)

    def by_stripe_id(self, stripe_invoice_id: str) -> Invoice | None:
        row = self._session.fetch_one(f"SELECT {COLUMNS} FROM invoices WHERE stripe_invoice_id = :id",
                                      id=stripe_invoice_id)
        return invoice_from_row(row) if row else None

    def apply_stripe(self, stripe_invoice_id: str, *, status: InvoiceStatus, amount_paid_cents: int,
                     amount_due_cents: int, paid_at: datetime | None, attempt_count: int, last_failure: str | None,
                     stripe_created: int) -> Invoice | None:
        """Take Stripe's state of the invoice unless ours is final; a non-final one only when newer.

        None when not applied (unknown invoice, final already, or older news). A final state (paid,
        void) is taken whatever its time, as for payments.
        """
        row = self._session.fetch_one(
            "UPDATE invoices SET status = :status, amount_paid_cents = :paid, amount_due_cents = :due,"
            " paid_at = COALESCE(:paid_at, paid_at), attempt_count = GREATEST(attempt_count, :attempts),"
            " last_failure = COALESCE(:failure, last_failure), stripe_updated = GREATEST(stripe_updated, :created)"
            " WHERE stripe_invoice_id = :id AND status <> ALL(CAST(:final AS TEXT[]))"
            " AND (stripe_updated <= :created OR :status = ANY(CAST(:final AS TEXT[])))"
            f" RETURNING {COLUMNS}",
            id=stripe_invoice_id, status=status.value, paid=amount_paid_cents, due=amount_due_cents,
            paid_at=paid_at, attempts=attempt_count, failure=last_failure, created=stripe_created, final=list(FINAL))
        return invoice_from_row(row) if row else None

    def open_for(self, organization_id: int) -> list[Invoice]:
        """Invoices still to be paid (draft, open, uncollectible), oldest first."""
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM invoices WHERE organization_id = :org AND status <> ALL(CAST(:final AS TEXT[]))"
            " ORDER BY period_start", org=organization_id, final=list(FINAL))
        return [invoice_from_row(r) for r in rows]

    def accounts_due(self, day_of_month: int) -> list[int]:
        """Organizations of active postpaid accounts invoiced on this day of the month."""
        rows = self._session.fetch_all(
            "SELECT organization_id FROM billing_accounts WHERE billing_mode = 'postpaid' AND status = 'active'"
            " AND invoice_day_of_month = :day ORDER BY organization_id", day=day_of_month)
        return [int(r["organization_id"]) for r in rows]

    def list(self, organization_id: int, page: PageRequest) -> PageResult[Invoice]:
        """The organization's invoices, newest period first."""
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM invoices WHERE organization_id = :org"
            " ORDER BY period_start DESC, invoice_id DESC LIMIT :limit OFFSET :offset",
            org=organization_id, limit=page.page_size, offset=page.offset)
        matched = self._session.fetch_value(
            f"SELECT count(*) FROM (SELECT 1 FROM invoices WHERE organization_id = :org LIMIT {TOTAL_CAP + 1})"
            " AS capped", org=organization_id)
        return PageResult.counted([invoice_from_row(r) for r in rows], int(matched), page)

def _stripe_values(invoice: dict[str, Any]) -> dict[str, Any]:
    due = invoice.get("due_date")
    return {"stripe_id": str(invoice["id"]), "number": invoice.get("number"),
            "url": invoice.get("hosted_invoice_url"),
            "due": datetime.fromtimestamp(int(due), UTC).date() if due else None,
            "status": str(invoice.get("status") or "draft"), "due_cents": int(invoice.get("amount_due") or 0)}


def invoice_from_row(row: Row) -> Invoice:
    lines = row["line_items"]
    return Invoice(
        invoice_id=row["invoice_id"], organization_id=row["organization_id"],
        billing_account_id=row["billing_account_id"], invoice_number=row["invoice_number"],
        stripe_invoice_id=row["stripe_invoice_id"], period_start=row["period_start"], period_end=row["period_end"],
        currency=row["currency"], total_cents=row["total_cents"], amount_paid_cents=row["amount_paid_cents"],
        amount_due_cents=row["amount_due_cents"], status=InvoiceStatus(row["status"]), due_date=row["due_date"],
        paid_at=row["paid_at"], hosted_invoice_url=row["hosted_invoice_url"], attempt_count=row["attempt_count"],
        last_failure=row["last_failure"], stripe_updated=row["stripe_updated"],
        line_items=lines if isinstance(lines, list) else json.loads(lines), created_at=row["created_at"],
    )
