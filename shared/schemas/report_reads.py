"""Response models of the reports API and the CSV columns of each report, built from the service's `Report`."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.domain.reporting import Metrics, Period
from shared.domain.reports import PERFORMANCE_FIELDS, Granularity, Listing, Report, Row, performance, total_pages


class ReportMeta(BaseModel):
    as_of: dt.datetime = Field(description="When Everflow produced these numbers.")
    age_seconds: int
    stale: bool = Field(description="Older than the cache's TTL: being refreshed, or Everflow is unreachable.")
    cache: Literal["hit", "miss", "none"] = Field(
        description="hit: served from the cache; miss: asked Everflow; none: nothing to ask (no synced entities).")
    truncated: bool = Field(default=False, description="Everflow's or our row cap cut the result short.")


class ReportPeriod(BaseModel):
    start_date: dt.date
    end_date: dt.date
    timezone: str
    days: int


class Pagination(BaseModel):
    page: int
    limit: int
    total: int
    total_pages: int


class PerformanceFigures(BaseModel):
    impressions: int
    clicks: int
    unique_clicks: int
    conversions: int
    revenue: float
    payout: float
    profit: float
    conversion_rate: float = Field(description="Conversions per 100 unique clicks.")
    average_revenue: float = Field(description="Revenue per conversion.")
    ctr: float = Field(description="Clicks per 100 impressions.")
    epc: float = Field(description="Payout per unique click.")


class CampaignPerformance(PerformanceFigures):
    campaign_id: int | None = Field(description="Our campaign; null for an offer that is not one of yours.")
    campaign_name: str
    everflow_offer_id: int | None


class PerformanceSummary(BaseModel):
    organization_id: int
    period: ReportPeriod
    totals: PerformanceFigures
    campaigns: list[CampaignPerformance]
    meta: ReportMeta


class TimeseriesPoint(PerformanceFigures):
    period: str = Field(description="The hour, day, week (its Monday) or month, as Everflow labels it.")


class PerformanceTimeseries(BaseModel):
    organization_id: int
    period: ReportPeriod
    granularity: Granularity
    totals: PerformanceFigures
    points: list[TimeseriesPoint]
    meta: ReportMeta


class DailyPerformanceRow(CampaignPerformance):
    date: str


class DailyPerformance(BaseModel):
    organization_id: int
    period: ReportPeriod
    data: list[DailyPerformanceRow]
    pagination: Pagination
    meta: ReportMeta


class Parties(BaseModel):
    campaign_id: int | None
    campaign_name: str
    everflow_offer_id: int | None
    affiliate_id: int | None = Field(description="Our affiliate; null for an affiliate that is not one of yours.")
    affiliate_name: str
    everflow_affiliate_id: int | None


class SubIds(BaseModel):
    source_id: str
    sub1: str
    sub2: str
    sub3: str
    sub4: str
    sub5: str


class ConversionRead(Parties, SubIds):
    conversion_id: str
    conversion_time: dt.datetime
    click_time: dt.datetime | None
    transaction_id: str
    status: str
    payout: float
    revenue: float
    sale_amount: float
    currency: str
    country: str
    device: str


class ConversionList(BaseModel):
    organization_id: int
    period: ReportPeriod
    data: list[ConversionRead]
    pagination: Pagination
    meta: ReportMeta


class ClickRead(Parties, SubIds):
    transaction_id: str
    click_time: dt.datetime
    is_unique: bool
    revenue: float
    country: str
    device: str


class ClickList(BaseModel):
    organization_id: int
    period: ReportPeriod
    data: list[ClickRead]
    pagination: Pagination
    meta: ReportMeta


PARTY_COLUMNS = ("campaign_id", "campaign_name", "everflow_offer_id", "affiliate_id", "affiliate_name",
                 "everflow_affiliate_id")
SUB_COLUMNS = ("source_id", "sub1", "sub2", "sub3", "sub4", "sub5")
# CSV columns, in the order a spreadsheet reads best: what the row is, then its numbers.
SUMMARY_COLUMNS = ("campaign_id", "campaign_name", "everflow_offer_id", *PERFORMANCE_FIELDS)
TIMESERIES_COLUMNS = ("period", *PERFORMANCE_FIELDS)
DAILY_COLUMNS = ("date", *SUMMARY_COLUMNS)
CONVERSION_COLUMNS = ("conversion_id", "conversion_time", "click_time", "transaction_id", "status", *PARTY_COLUMNS,
                      "payout", "revenue", "sale_amount", "currency", "country", "device", *SUB_COLUMNS)
CLICK_COLUMNS = ("transaction_id", "click_time", "is_unique", *PARTY_COLUMNS, "revenue", "country", "device",
                 *SUB_COLUMNS)


def report_period(period: Period) -> ReportPeriod:
    return ReportPeriod(start_date=period.start, end_date=period.end, timezone=period.timezone, days=period.days)


def report_meta(fetched_at: Sequence[float], *, stale: bool, hit: bool, truncated: bool,
                now: float | None = None) -> ReportMeta:
    """Where the numbers came from; with no Everflow data behind them (nothing to ask), as of now."""
    now = time.time() if now is None else now
    if not fetched_at:
        return ReportMeta(as_of=dt.datetime.fromtimestamp(now, dt.UTC), age_seconds=0, stale=False, cache="none",
                          truncated=truncated)
    oldest = min(fetched_at)
    return ReportMeta(as_of=dt.datetime.fromtimestamp(oldest, dt.UTC), age_seconds=max(math.floor(now - oldest), 0),
                      stale=stale, cache="hit" if hit else "miss", truncated=truncated)


def pagination(listing: Listing, total: int) -> Pagination:
    return Pagination(page=listing.page, limit=listing.limit, total=total,
                      total_pages=total_pages(total, listing.limit))


def csv_rows(rows: Sequence[Row], columns: Sequence[str]) -> list[list[Any]]:
    return [[row[column] for column in columns] for row in rows]


def _figures(report: Report) -> PerformanceFigures:
    return PerformanceFigures.model_validate(performance(report.totals or Metrics()))


def _meta(report: Report) -> ReportMeta:
    source = report.provenance
    return report_meta(source.fetched_at, stale=source.stale, hit=source.hit, truncated=report.truncated)


def performance_summary(report: Report) -> PerformanceSummary:
    return PerformanceSummary(organization_id=report.organization_id, period=report_period(report.period),
                              totals=_figures(report), campaigns=[CampaignPerformance.model_validate(row)
                                                                  for row in report.rows], meta=_meta(report))


def performance_timeseries(report: Report, granularity: Granularity) -> PerformanceTimeseries:
    return PerformanceTimeseries(organization_id=report.organization_id, period=report_period(report.period),
                                 granularity=granularity, totals=_figures(report),
                                 points=[TimeseriesPoint.model_validate(row) for row in report.rows],
                                 meta=_meta(report))


def daily_performance(report: Report, listing: Listing) -> DailyPerformance:
    return DailyPerformance(organization_id=report.organization_id, period=report_period(report.period),
                            data=[DailyPerformanceRow.model_validate(row) for row in report.rows],
                            pagination=pagination(listing, report.total), meta=_meta(report))


def conversion_list(report: Report, listing: Listing) -> ConversionList:
    return ConversionList(organization_id=report.organization_id, period=report_period(report.period),
                          data=[ConversionRead.model_validate(row) for row in report.rows],
                          pagination=pagination(listing, report.total), meta=_meta(report))


def click_list(report: Report, listing: Listing) -> ClickList:
    return ClickList(organization_id=report.organization_id, period=report_period(report.period),
                     data=[ClickRead.model_validate(row) for row in report.rows],
                     pagination=pagination(listing, report.total), meta=_meta(report))


def page_headers(report: Report, listing: Listing) -> dict[str, str]:
    """The paging facts as headers too, as on every list of the API."""
    return {"X-Total-Count": str(report.total), "X-Page": str(listing.page), "X-Page-Size": str(listing.limit),
            "X-Total-Pages": str(total_pages(report.total, listing.limit))}


def export_headers(report: Report) -> dict[str, str]:
    """What a CSV cannot say in its body: how many rows, and how fresh they are."""
    meta = _meta(report)
    return {"X-Total-Count": str(report.total), "X-Report-As-Of": meta.as_of.isoformat(),
            "X-Report-Age-Seconds": str(meta.age_seconds), "X-Report-Stale": str(meta.stale).lower(),
            "X-Report-Truncated": str(meta.truncated).lower()}
