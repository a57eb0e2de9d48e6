"""SQL for payments we asked Stripe for (recharges), from before the PaymentIntent exists to its outcome."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from shared.db.session import Row, Session
from shared.domain.ledger import BillingAccount, Payment, PaymentPurpose, PaymentStatus
from shared.domain.paging import TOTAL_CAP, PageRequest, PageResult

COLUMNS = ("payment_id, organization_id, billing_account_id, purpose, amount_cents, currency, idempotency_key,"
           " request_digest, stripe_payment_intent_id, stripe_payment_method_id, stripe_charge_id, status,"
           " failure_code, failure_message, stripe_updated, description, created_by, created_at, updated_at")
OPEN = ("pending", "processing", "requires_action")


class PaymentRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, account: BillingAccount, *, purpose: PaymentPurpose, amount_cents: int, idempotency_key: str,
            request_digest: str, payment_method_id: str | None, description: str | None,
            created_by: UUID | None) -> tuple[Payment, bool]:
        """A new pending payment, or the one already made under this idempotency key (False)."""
        row = self._session.fetch_one(
            "INSERT INTO payments (organization_id, billing_account_id, purpose, amount_cents, currency,"
            " idempotency_key, request_digest, stripe_payment_method_id, description, created_by)"
            " VALUES (:org, :account, :purpose, :amount, :currency, :key, :digest, :pm, :description,"
            " CAST(:created_by AS UUID))"
            f" ON CONFLICT (organization_id, idempotency_key) DO NOTHING RETURNING {COLUMNS}",
            org=account.organization_id, account=account.billing_account_id, purpose=purpose.value,
            amount=amount_cents, currency=account.currency, key=idempotency_key, digest=request_digest,
            pm=payment_method_id, description=description, created_by=str(created_by) if created_by else None)
        if row is not None:
            return payment_from_row(row), True
        existing = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM payments WHERE organization_id = :org AND idempotency_key = :key",
            org=account.organization_id, key=idempotency_key)
        assert existing is not None
        return payment_from_row(existing), False

    def get(self, payment_id: int) -> Payment | None:
        row = self._session.fetch_one(f"SELECT {COLUMNS} FROM payments WHERE payment_id = :id", id=payment_id)
        return payment_from_row(row) if row else None

    def lock(self, payment_id: int) -> Payment | None:
        row = self._session.fetch_one(f"SELECT {COLUMNS} FROM payments WHERE payment_id = :id FOR UPDATE",
                                      id=payment_id)
        return payment_from_row(row) if row else None

    def by_intent(self, stripe_payment_intent_id: str) -> Payment | None:
        row = self._session.fetch_one(f"SELECT {COLUMNS} FROM payments WHERE stripe_payment_intent_id = :intent",
                                      intent=stripe_payment_intent_id)
        return payment_from_row(row) if row else None

    def apply_intent(self, payment_id: int, *, intent_id: str, status: PaymentStatus, stripe_created: int,
                     charge_id: str | None = None, failure_code: str | None = None,
                     failure_message: str | None = None) -> Payment | None:
        """Take the PaymentIntent's state unless ours is final; a non-final state only when newer (None: not applied).

        A final state (succeeded, canceled) is taken whatever its time: nothing can follow it, and clocks
        of our own answers and of Stripe's events may disagree by a second.
        """
        row = self._session.fetch_one(
            "UPDATE payments SET stripe_payment_intent_id = :intent, status = :status, stripe_updated = :created,"
            " stripe_charge_id = COALESCE(:charge, stripe_charge_id),"
            " failure_code = CASE WHEN :status = 'failed' THEN :code END,"
            " failure_message = CASE WHEN :status = 'failed' THEN :message END"
            " WHERE payment_id = :id AND status NOT IN ('succeeded', 'canceled')"
            " AND (stripe_updated <= :created OR :status IN ('succeeded', 'canceled'))"
            f" RETURNING {COLUMNS}",
            id=payment_id, intent=intent_id, status=status.value, created=stripe_created, charge=charge_id,
            code=failure_code, message=failure_message)
        return payment_from_row(row) if row else None

    def abandon(self, payment_id: int) -> Payment | None:
        """Cancel a payment that never reached Stripe (None: it has a PaymentIntent now, or is no longer open)."""
        row = self._session.fetch_one(
            "UPDATE payments SET status = 'canceled', failure_code = 'not_submitted',"
            " failure_message = 'The payment never reached Stripe; nothing was charged.'"
            " WHERE payment_id = :id AND stripe_payment_intent_id IS NULL AND status = ANY(CAST(:open AS TEXT[]))"
            f" RETURNING {COLUMNS}", id=payment_id, open=list(OPEN))
        return payment_from_row(row) if row else None

    def open_for(self, organization_id: int) -> list[Payment]:
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM payments WHERE organization_id = :org AND status = ANY(CAST(:open AS TEXT[]))"
            " ORDER BY created_at DESC", org=organization_id, open=list(OPEN))
        return [payment_from_row(r) for r in rows]

    def stale_open(self, older_than_s: int, limit: int) -> list[Payment]:
        """Payments still open `older_than_s` after their last change: a webhook may have been missed."""
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM payments WHERE status = ANY(CAST(:open AS TEXT[]))"
            " AND updated_at < now() - make_interval(secs => :age) ORDER BY updated_at LIMIT :limit",
            open=list(OPEN), age=older_than_s, limit=limit)
        return [payment_from_row(r) for r in rows]


    def list(self, organization_id: int, page: PageRequest) -> PageResult[Payment]:
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM payments WHERE organization_id = :org"
            " ORDER BY created_at DESC, payment_id DESC LIMIT :limit OFFSET :offset",
            org=organization_id, limit=page.page_size, offset=page.offset)
        matched = self._session.fetch_value(
            f"SELECT count(*) FROM (SELECT 1 FROM payments WHERE organization_id = :org LIMIT {TOTAL_CAP + 1}) c",
            org=organization_id)
        return PageResult.counted([payment_from_row(r) for r in rows], int(matched), page)

def payment_from_row(row: Row) -> Payment:
    values: dict[str, Any] = dict(row)
    values["purpose"] = PaymentPurpose(row["purpose"])
    values["status"] = PaymentStatus(row["status"])
    values["created_by"] = UUID(str(row["created_by"])) if row["created_by"] else None
    return Payment(**values)
