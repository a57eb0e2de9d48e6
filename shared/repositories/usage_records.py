"""SQL for daily usage records: written in batches, claimed for charging with SKIP LOCKED, marked in batches."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from shared.db.session import Row, Session
from shared.domain.campaign_terms import PayoutType
from shared.domain.ledger import UsageRecord, UsageStatus
from shared.domain.paging import TOTAL_CAP, PageRequest, PageResult
from shared.domain.usage import CampaignTerms, DayUsage

COLUMNS = ("usage_record_id, organization_id, billing_account_id, usage_date, clicks, conversions,"
           " affiliate_payout_cents, platform_fee_cents, amount_cents, currency, status, campaign_breakdown,"
           " transaction_id, invoice_id, failure_reason, billed_at, created_at")
UNBILLED = (UsageStatus.CALCULATED.value, UsageStatus.INSUFFICIENT_FUNDS.value)
# One statement per batch: the rows travel as arrays; the account and currency come from the join.
# A zero-usage day has nothing to charge and is billed as it is written.
INSERT = """
INSERT INTO usage_records (organization_id, billing_account_id, usage_date, clicks, conversions,
                           affiliate_payout_cents, platform_fee_cents, amount_cents, currency, status,
                           campaign_breakdown, billed_at)
SELECT u.org, a.billing_account_id, u.day, u.clicks, u.conversions, u.payout, u.fee, u.payout + u.fee, a.currency,
       CASE WHEN u.payout + u.fee = 0 THEN 'billed' ELSE 'calculated' END, CAST(u.breakdown AS JSONB),
       CASE WHEN u.payout + u.fee = 0 THEN now() END
FROM unnest(CAST(:orgs AS BIGINT[]), CAST(:days AS DATE[]), CAST(:clicks AS BIGINT[]),
            CAST(:conversions AS BIGINT[]), CAST(:payouts AS BIGINT[]), CAST(:fees AS BIGINT[]),
            CAST(:breakdowns AS TEXT[])) AS u(org, day, clicks, conversions, payout, fee, breakdown)
JOIN billing_accounts a ON a.organization_id = u.org
ORDER BY u.org
ON CONFLICT (organization_id, usage_date) DO NOTHING
"""
# Arrays of pg8000 cannot carry NULLs of a type it has to guess: 0 and '' stand for none.
MARK = """
UPDATE usage_records r SET status = m.status, transaction_id = COALESCE(NULLIF(m.txn, 0), r.transaction_id),
       failure_reason = NULLIF(m.reason, ''),
       billed_at = CASE WHEN m.status IN ('billed', 'accrued') THEN now() ELSE r.billed_at END
FROM unnest(CAST(:ids AS BIGINT[]), CAST(:statuses AS TEXT[]), CAST(:txns AS BIGINT[]), CAST(:reasons AS TEXT[]))
     AS m(id, status, txn, reason)
WHERE r.usage_record_id = m.id
"""


@dataclass(frozen=True)
class UsageMark:
    """How a claimed record was charged: its new status, its ledger entry, or why it could not be charged."""

    usage_record_id: int
    status: UsageStatus
    transaction_id: int | None = None
    failure_reason: str | None = None


class UsageRecordRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add_many(self, records: Sequence[DayUsage], *, batch_size: int = 1_000) -> int:
        """Write the days not yet recorded (one statement per `batch_size` days); return how many were new."""
        added = 0
        for first in range(0, len(records), batch_size):
            batch = records[first:first + batch_size]
            added += self._session.execute(
                INSERT, orgs=[r.organization_id for r in batch], days=[r.usage_date for r in batch],
                clicks=[r.clicks for r in batch], conversions=[r.conversions for r in batch],
                payouts=[r.affiliate_payout_cents for r in batch], fees=[r.platform_fee_cents for r in batch],
                breakdowns=[json.dumps(r.breakdown()) for r in batch])
        return added

    def claim_unbilled(self, limit: int, *, after_id: int = 0) -> list[UsageRecord]:
        """Up to `limit` records still to charge (oldest ids first, past `after_id`), locked for this transaction.

        SKIP LOCKED: a concurrent run takes other records instead of waiting for these, and a record
        charged meanwhile is no longer unbilled when its lock is released, so nothing is charged twice.
        """
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM usage_records WHERE status = ANY(CAST(:unbilled AS TEXT[]))"
            " AND usage_record_id > :after ORDER BY usage_record_id LIMIT :limit FOR UPDATE SKIP LOCKED",
            unbilled=list(UNBILLED), after=after_id, limit=limit)
        return [usage_from_row(r) for r in rows]

    def mark(self, marks: Sequence[UsageMark]) -> int:
        """Record how each claimed record was charged, in one statement; return how many rows changed."""
        if not marks:
            return 0
        return self._session.execute(
            MARK, ids=[m.usage_record_id for m in marks], statuses=[m.status.value for m in marks],
            txns=[m.transaction_id or 0 for m in marks], reasons=[m.failure_reason or "" for m in marks])

    def get(self, organization_id: int, usage_date: date) -> UsageRecord | None:
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM usage_records WHERE organization_id = :org AND usage_date = :day",
            org=organization_id, day=usage_date)
        return usage_from_row(row) if row else None

    def accrued(self, billing_account_id: int, start: date, end: date, *, lock: bool = False) -> list[UsageRecord]:
        """The account's accrued (not yet invoiced) days from `start` to `end`, oldest first."""
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM usage_records WHERE billing_account_id = :account AND status = 'accrued'"
            " AND usage_date BETWEEN :start AND :end ORDER BY usage_date"
            f"{' FOR UPDATE' if lock else ''}", account=billing_account_id, start=start, end=end)
        return [usage_from_row(r) for r in rows]

    def mark_invoiced(self, usage_record_ids: Sequence[int], invoice_id: int) -> int:
        """Put accrued records on an invoice (records already invoiced stay on theirs)."""
        if not usage_record_ids:
            return 0
        return self._session.execute(
            "UPDATE usage_records SET status = 'invoiced', invoice_id = :invoice"
            " WHERE usage_record_id = ANY(CAST(:ids AS BIGINT[])) AND status = 'accrued'",
            ids=list(usage_record_ids), invoice=invoice_id)


    def billable_organizations(self) -> list[int]:
        """Advertiser and agency organizations with an open account: each gets a record every day, zero or not."""
        rows = self._session.fetch_all(
            "SELECT o.organization_id FROM organizations o JOIN billing_accounts a USING (organization_id)"
            " WHERE o.type IN ('advertiser', 'agency') AND o.status = 'active' AND a.status <> 'closed'"
            " ORDER BY o.organization_id")
        return [int(r["organization_id"]) for r in rows]

    def campaign_terms(self, offer_ids: Sequence[int]) -> dict[int, CampaignTerms]:
        """The campaign (and its payout terms) each of these Everflow offers stands for, in one query."""
        if not offer_ids:
            return {}
        rows = self._session.fetch_all(
            "SELECT m.provider_offer_id, c.campaign_id, c.organization_id, c.payout_type, c.payout_amount_cents,"
            " c.payout_percentage FROM campaign_provider_mappings m JOIN campaigns c USING (campaign_id)"
            " WHERE m.provider_type = 'everflow' AND m.provider_offer_id = ANY(CAST(:offers AS TEXT[]))",
            offers=[str(o) for o in offer_ids])
        return {int(r["provider_offer_id"]): CampaignTerms(
            r["campaign_id"], r["organization_id"], PayoutType(r["payout_type"]), r["payout_amount_cents"],
            Decimal(r["payout_percentage"])) for r in rows}

    def everflow_advertisers(self) -> list[int]:
        """Every Everflow advertiser id our advertisers are mapped to (to split a report too large for one call)."""
        rows = self._session.fetch_all(
            "SELECT DISTINCT provider_advertiser_id FROM advertiser_provider_mappings"
            " WHERE provider_type = 'everflow' AND provider_advertiser_id ~ '^[0-9]+$'")
        return sorted(int(r["provider_advertiser_id"]) for r in rows)

    def list(self, organization_id: int, start: date | None, end: date | None,
             page: PageRequest) -> PageResult[UsageRecord]:
        """The organization's days from `start` to `end` (both included, None: open), newest first."""
        where = ("organization_id = :org AND (CAST(:start AS DATE) IS NULL OR usage_date >= :start)"
                 " AND (CAST(:end AS DATE) IS NULL OR usage_date <= :end)")
        params = {"org": organization_id, "start": start, "end": end}
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM usage_records WHERE {where} ORDER BY usage_date DESC"
            " LIMIT :limit OFFSET :offset", limit=page.page_size, offset=page.offset, **params)
        matched = self._session.fetch_value(
            f"SELECT count(*) FROM (SELECT 1 FROM usage_records WHERE {where} LIMIT {TOTAL_CAP + 1}) AS capped",
            **params)
        return PageResult.counted([usage_from_row(r) for r in rows], int(matched), page)

def usage_from_row(row: Row) -> UsageRecord:
    breakdown = row["campaign_breakdown"]
    return UsageRecord(
        usage_record_id=row["usage_record_id"], organization_id=row["organization_id"],
        billing_account_id=row["billing_account_id"], usage_date=row["usage_date"], clicks=row["clicks"],
        conversions=row["conversions"], affiliate_payout_cents=row["affiliate_payout_cents"],
        platform_fee_cents=row["platform_fee_cents"], amount_cents=row["amount_cents"], currency=row["currency"],
        status=UsageStatus(row["status"]),
        campaign_breakdown=breakdown if isinstance(breakdown, list) else json.loads(breakdown),
        transaction_id=row["transaction_id"], invoice_id=row["invoice_id"], failure_reason=row["failure_reason"],
        billed_at=row["billed_at"], created_at=row["created_at"],
    )
