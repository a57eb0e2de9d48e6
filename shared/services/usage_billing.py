"""The daily usage job: yesterday's real Everflow traffic, priced per campaign, recorded and charged once.

1. ONE network-wide entity report of the day grouped by advertiser and offer (the platform owner's
   view), instead of a call per organization; only a table Everflow cut short is asked again in
   halves by advertiser.
2. Offers are mapped to campaigns (and their organizations and payout terms) in one query; every
   active advertiser/agency organization gets one record for the day, zero-usage days included
   (written `billed` with amount 0). Records are unique per organization and day, so a second run
   writes nothing.
3. Every unbilled record (not only today's: `insufficient_funds` ones are retried) is claimed with
   SKIP LOCKED and charged through the ledger under the key `usage:<record id>`: prepaid balances
   down to their floor (else `insufficient_funds`), postpaid ones accrue. A second or concurrent run
   finds nothing to claim, and a key already booked is never booked again.
4. Accounts left under their auto-recharge threshold are topped up (auto_recharge.top_up).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

import stripe as stripe_lib

from shared.adapters.everflow.client import get_everflow_client
from shared.adapters.everflow.reporting import ReportFilter, entity_body
from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.ledger import BillingMode, EntryType, InsufficientFunds, NewEntry, UsageRecord, UsageStatus
from shared.domain.usage import CampaignTerms, DayUsage, OfferTraffic, price_day
from shared.repositories.usage_records import UsageMark
from shared.services import auto_recharge
from shared.services.everflow_reports import timezone_id

log = logging.getLogger(__name__)
COLUMNS = ("advertiser", "offer")
BILLING_TIMEZONE = "UTC"  # usage days are UTC days, like the schedule


class EntityReporter(Protocol):
    """What the job needs of Everflow: `POST /v1/networks/reporting/entity` (the EverflowClient)."""

    def entity_report(self, payload: Mapping[str, Any]) -> dict[str, Any]: ...


@dataclass
class UsageRun:
    """What one run did; `charged` counts ledger entries it booked (a second run books none)."""

    day: dt.date
    everflow_calls: int = 0
    offers: int = 0
    unmapped_offers: int = 0
    organizations: int = 0
    recorded: int = 0
    charged: int = 0
    charged_cents: int = 0
    accrued: int = 0
    insufficient_funds: int = 0
    recharges: int = 0
    recharge_candidates: set[int] = field(default_factory=set)


def run_daily_usage(day: dt.date, *, uow_factory: Callable[[], UnitOfWork] = auto_recharge.system_uow,
                    reports: EntityReporter | None = None,
                    stripe: stripe_lib.StripeClient | None = None) -> UsageRun:
    """Record and charge every organization's usage of `day` (UTC), and retry what earlier runs could not charge."""
    run = UsageRun(day)
    traffic = fetch_traffic(day, reports or get_everflow_client(), uow_factory, run)
    usages = price_usage(day, traffic, uow_factory, run)
    with uow_factory() as uow:
        run.recorded = uow.usage_records.add_many(usages, batch_size=get_settings().usage_batch_size)
        uow.commit()
    charge_unbilled(uow_factory, run)
    for organization_id in sorted(run.recharge_candidates):
        if auto_recharge.top_up(organization_id, uow_factory=uow_factory, stripe=stripe) is not None:
            run.recharges += 1
    log.info("usage of %s: %d organizations, %d recorded, %d charged (%d cents), %d accrued, %d short of funds",
             day, run.organizations, run.recorded, run.charged, run.charged_cents, run.accrued,
             run.insufficient_funds, extra={"fields": {"usage_day": day.isoformat(), "usage_charged": run.charged}})
    return run


# --- Everflow ---------------------------------------------------------------------------------------

def fetch_traffic(day: dt.date, reports: EntityReporter, uow_factory: Callable[[], UnitOfWork],
                  run: UsageRun) -> list[OfferTraffic]:
    """Every offer's traffic of the day: one network-wide report, split by advertiser only if cut short."""
    zone = timezone_id(BILLING_TIMEZONE)
    rows, complete = _report(day, zone, ReportFilter.unlimited(), reports, run)
    if complete:
        return rows
    with uow_factory() as uow:
        advertisers = uow.usage_records.everflow_advertisers()
    middle = len(advertisers) // 2  # the whole network was cut short already: start with its halves
    return (_split(day, zone, advertisers[:middle], reports, run)
            + _split(day, zone, advertisers[middle:], reports, run))


def _split(day: dt.date, zone: int, advertisers: Sequence[int], reports: EntityReporter,
           run: UsageRun) -> list[OfferTraffic]:
    """The advertisers' traffic in halves, recursively, until Everflow answers each part whole."""
    if not advertisers:
        return []
    rows, complete = _report(day, zone, ReportFilter(advertisers=frozenset(advertisers)), reports, run)
    if complete:
        return rows
    if len(advertisers) == 1:
        log.error("Everflow cut the usage report of advertiser %s on %s", advertisers[0], day)
        return rows
    middle = len(advertisers) // 2
    return (_split(day, zone, advertisers[:middle], reports, run)
            + _split(day, zone, advertisers[middle:], reports, run))


def _report(day: dt.date, zone: int, where: ReportFilter, reports: EntityReporter,
            run: UsageRun) -> tuple[list[OfferTraffic], bool]:
    run.everflow_calls += 1
    body = reports.entity_report(entity_body(day, day, zone, COLUMNS, where))
    table = body.get("table") or []
    return [_traffic(item) for item in table], not body.get("incomplete_results")


def _traffic(item: Mapping[str, Any]) -> OfferTraffic:
    cells = {cell.get("column_type"): cell for cell in item.get("columns") or []}
    metrics = item.get("reporting") or {}
    return OfferTraffic(
        offer_id=int(cells["offer"]["id"]), advertiser_id=int(cells["advertiser"]["id"]),
        clicks=int(metrics.get("total_click") or 0), unique_clicks=int(metrics.get("unique_click") or 0),
        impressions=int(metrics.get("imp") or 0), conversions=int(metrics.get("cv") or 0),
        sales_cents=_cents(metrics.get("gross_sales")))


def _cents(value: Any) -> int:
    """Everflow's money (a JSON number of currency units) as exact cents."""
    return int((Decimal(str(value or 0)) * 100).to_integral_value())


# --- pricing ----------------------------------------------------------------------------------------

def price_usage(day: dt.date, traffic: Sequence[OfferTraffic], uow_factory: Callable[[], UnitOfWork],
                run: UsageRun) -> list[DayUsage]:
    """One priced day per billable organization (and per organization whose campaigns had traffic)."""
    with uow_factory() as uow:
        terms = uow.usage_records.campaign_terms([t.offer_id for t in traffic])
        organizations = uow.usage_records.billable_organizations()
    lines: defaultdict[int, list[tuple[CampaignTerms, OfferTraffic]]] = defaultdict(list)
    for offer in traffic:
        campaign = terms.get(offer.offer_id)
        if campaign is None:
            run.unmapped_offers += 1  # not one of our campaigns (or not synced yet): nobody of ours to bill
            continue
        lines[campaign.organization_id].append((campaign, offer))
    run.offers = len(traffic)
    everyone = sorted(set(organizations) | set(lines))
    run.organizations = len(everyone)
    fee_bps = get_settings().platform_fee_bps
    return [price_day(org, day, lines.get(org, ()), fee_bps) for org in everyone]


# --- charging ---------------------------------------------------------------------------------------

def charge_unbilled(uow_factory: Callable[[], UnitOfWork], run: UsageRun) -> None:
    """Charge every unbilled record, a batch per transaction, each record once whoever else is running."""
    after = 0
    batch = get_settings().usage_batch_size
    while True:
        with uow_factory() as uow:
            claimed = uow.usage_records.claim_unbilled(batch, after_id=after)
            if not claimed:
                return
            after = claimed[-1].usage_record_id
            # Accounts are locked in organization order, so two runs sharing accounts cannot deadlock.
            ordered = sorted(claimed, key=lambda r: (r.organization_id, r.usage_date, r.usage_record_id))
            uow.usage_records.mark([_charge(uow, record, run) for record in ordered])
            uow.commit()


def _charge(uow: UnitOfWork, record: UsageRecord, run: UsageRun) -> UsageMark:
    """Book one record on its account: `billed` (prepaid), `accrued` (postpaid) or `insufficient_funds`."""
    if record.amount_cents == 0:  # written billed already; only an edited row could get here
        return UsageMark(record.usage_record_id, UsageStatus.BILLED)
    entry = NewEntry(
        EntryType.USAGE_CHARGE, -record.amount_cents, f"usage:{record.usage_record_id}",
        f"Usage of {record.usage_date.isoformat()}", reference_type="usage_record",
        reference_id=str(record.usage_record_id),
        metadata={"usage_date": record.usage_date.isoformat(), "clicks": record.clicks,
                  "conversions": record.conversions})
    try:
        # The floor applies to prepaid accounts only (BillingAccount.check_spend): postpaid ones accrue.
        posting = uow.ledger.post(record.organization_id, entry, enforce_floor=True)
    except InsufficientFunds as short:
        run.insufficient_funds += 1
        run.recharge_candidates.add(record.organization_id)
        return UsageMark(record.usage_record_id, UsageStatus.INSUFFICIENT_FUNDS, failure_reason=short.message)
    if posting.booked:
        run.charged += 1
        run.charged_cents += record.amount_cents
    if posting.account.needs_recharge():
        run.recharge_candidates.add(record.organization_id)
    if posting.account.billing_mode is BillingMode.POSTPAID:
        run.accrued += 1
        return UsageMark(record.usage_record_id, UsageStatus.ACCRUED, posting.entry.transaction_id)
    return UsageMark(record.usage_record_id, UsageStatus.BILLED, posting.entry.transaction_id)
