"""Request and response models of the dashboard API: periods in, figures with their freshness (`meta`) out."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, ValidationInfo, field_validator

from shared.domain.reporting import LONGEST_PERIOD_DAYS, Period, PeriodName, resolve_period
from shared.schemas.common import PositiveId, QueryModel, TimeZone

Number = float | int



def _custom(info: ValidationInfo) -> bool:
    return info.data.get("period") is PeriodName.CUSTOM


class DashboardQuery(QueryModel):
    """The days a dashboard covers (in `timezone`) and whether to compare them with the days before."""

    period: PeriodName = Field(default=PeriodName.LAST_30_DAYS,
                               description="today, 7d, 30d, 90d (ending today) or custom (start_date to end_date).")
    start_date: dt.date | None = Field(default=None, validate_default=True,
                                       validation_alias=AliasChoices("start_date", "startDate"),
                                       description="First day of a custom period, YYYY-MM-DD (also `startDate`).")
    end_date: dt.date | None = Field(default=None, validate_default=True,
                                     validation_alias=AliasChoices("end_date", "endDate"),
                                     description=f"Last day of a custom period, included (also `endDate`); "
                                                 f"at most {LONGEST_PERIOD_DAYS} days.")
    timezone: TimeZone = Field(default="UTC", description="IANA time zone of the days.")
    compare: bool = Field(default=True, description="Also show the previous period of the same length.")

    @field_validator("start_date")
    @classmethod
    def _start_of_custom(cls, start: dt.date | None, info: ValidationInfo) -> dt.date | None:
        if start is None and _custom(info):
            raise ValueError("is required when period is custom")
        return start

    @field_validator("end_date")
    @classmethod
    def _end_of_custom(cls, end: dt.date | None, info: ValidationInfo) -> dt.date | None:
        if not _custom(info):
            return end
        start = info.data.get("start_date")
        if end is None:
            raise ValueError("is required when period is custom")
        if start is not None and end < start:
            raise ValueError("must not be before start_date")
        if start is not None and (end - start).days + 1 > LONGEST_PERIOD_DAYS:
            raise ValueError(f"the period covers at most {LONGEST_PERIOD_DAYS} days")
        return end

    def resolve(self, now: dt.datetime) -> Period:
        """The period these parameters name at the moment `now`."""
        return resolve_period(self.period, self.start_date, self.end_date, self.timezone, now)


class CacheInvalidateQuery(QueryModel):
    organization_id: PositiveId | None = Field(
        default=None, validation_alias=AliasChoices("organizationId", "organization_id"),
        description="The organization whose dashboards to refresh (Admin and PlatformOwner; default: yours).")


class Meta(BaseModel):
    """How fresh the Everflow figures of a response are."""

    as_of: dt.datetime = Field(description="When Everflow produced the figures (the oldest report used).")
    age_seconds: float = Field(description="Seconds since then.")
    stale: bool = Field(description="True when served past their freshness time (e.g. while Everflow is down).")
    cache: Literal["hit", "miss"] = Field(description="`miss` when this request fetched from Everflow.")


class PeriodRead(BaseModel):
    name: PeriodName
    start: dt.date
    end: dt.date
    timezone: str
    days: int


class MetricsRead(BaseModel):
    """Everflow's numbers of a slice; money in the network currency with 2 decimals."""

    impressions: int
    clicks: int
    unique_clicks: int
    conversions: int
    revenue: float
    payout: float
    profit: float
    cvr: float = Field(description="Conversions per 100 unique clicks.")
    epc: float = Field(description="Payout per unique click.")


class Summary(BaseModel):
    current: MetricsRead
    previous: MetricsRead | None = Field(description="The previous period (null when compare=false).")
    change: dict[str, float | None] | None = Field(
        description="Change in percent per figure (null for a figure that was 0 before).")


class OrganizationRef(BaseModel):
    organization_id: int
    name: str
    type: str = Field(description="advertiser, affiliate, agency or platform_owner.")


class TopCampaign(BaseModel):
    campaign_id: int | None = Field(description="Our campaign (null for an offer we do not know).")
    name: str
    status: str | None
    network_offer_id: str
    metrics: MetricsRead


class TopAffiliate(BaseModel):
    affiliate_id: int | None
    name: str
    network_affiliate_id: str
    metrics: MetricsRead


class TopAdvertiser(BaseModel):
    advertiser_id: int | None
    name: str
    network_advertiser_id: str
    metrics: MetricsRead


class Client(BaseModel):
    """An agency's client advertiser with its totals and best campaigns of the period."""

    advertiser_id: int | None
    name: str
    network_advertiser_id: str
    metrics: MetricsRead
    top_campaigns: list[TopCampaign]


class LinkItem(BaseModel):
    tracking_link_id: int
    name: str
    status: str
    tracking_url: str | None
    created_at: dt.datetime
    campaign_id: int
    campaign_name: str
    affiliate_id: int
    affiliate_name: str
    metrics: MetricsRead | None = Field(
        description="The period's numbers of the link's (offer, affiliate) pair; null until both are synced.")


class TrackingLinks(BaseModel):
    total: int
    by_status: dict[str, int]
    recent: list[LinkItem] = Field(description="The newest live links.")
    top: list[LinkItem] = Field(description="Live links of the pairs that earned the most this period.")


class SyncFailureRead(BaseModel):
    kind: str
    entity_id: int
    organization_id: int
    error: str | None
    at: dt.datetime


class SyncJobRead(BaseModel):
    sync_job_id: int
    kind: str
    status: str
    total: int
    processed: int
    succeeded: int
    failed: int
    created_at: dt.datetime
    finished_at: dt.datetime | None


class OutboxRead(BaseModel):
    unpublished: int
    oldest_at: dt.datetime | None
    oldest_age_seconds: float | None


class SyncHealth(BaseModel):
    mappings: dict[str, dict[str, int]] = Field(description="Provider mappings per entity kind and sync status.")
    pending: int
    failed: int
    out_of_sync: int
    recent_failures: list[SyncFailureRead]
    outbox: OutboxRead
    latest_sync_job: SyncJobRead | None


class Counts(BaseModel):
    total: int
    by: dict[str, Any]


class Platform(BaseModel):
    organizations: Counts = Field(description="`by`: type -> status -> count.")
    users: Counts = Field(description="`by`: role -> count.")
    sync_health: SyncHealth


class DashboardOverview(BaseModel):
    """One organization's dashboard; the sections of other organization types are null."""

    organization: OrganizationRef
    dashboard_type: Literal["advertiser", "affiliate", "agency", "platform"]
    period: PeriodRead
    previous_period: PeriodRead | None
    summary: Summary
    top_campaigns: list[TopCampaign]
    top_affiliates: list[TopAffiliate] | None = None
    top_advertisers: list[TopAdvertiser] | None = None
    clients: list[Client] | None = Field(default=None, description="Agency: its client advertisers.")
    tracking_links: TrackingLinks | None = Field(default=None, description="Affiliate: its links.")
    platform: Platform | None = Field(default=None, description="Platform: organizations, users, sync health.")
    incomplete: bool = Field(description="Everflow cut the breakdown at 10,000 rows; top lists may miss some.")
    meta: Meta


class ChartPoint(BaseModel):
    day: int = Field(description="1 for the first day (or week) of the period: the previous period's point "
                                 "of the same index is beside it.")
    date: dt.date
    values: dict[str, Number]
    previous_date: dt.date | None
    previous: dict[str, Number] | None


class Chart(BaseModel):
    chart: Literal["revenue", "conversion", "performance"]
    organization: OrganizationRef
    period: PeriodRead
    previous_period: PeriodRead | None
    granularity: Literal["daily", "weekly"]
    series: list[str]
    points: list[ChartPoint]
    totals: dict[str, Number]
    previous_totals: dict[str, Number] | None
    meta: Meta


class CampaignFigures(BaseModel):
    campaign_id: int
    name: str
    status: str
    advertiser_id: int
    network_offer_id: str | None = Field(description="Null until the campaign is synced to Everflow.")
    metrics: MetricsRead


class CampaignList(BaseModel):
    organization: OrganizationRef
    period: PeriodRead
    campaigns: list[CampaignFigures]
    total: int
    page: int
    page_size: int
    total_pages: int
    total_is_lower_bound: bool
    meta: Meta


class CampaignDetail(BaseModel):
    organization: OrganizationRef
    campaign: CampaignFigures
    period: PeriodRead
    previous_period: PeriodRead | None
    summary: Summary
    points: list[ChartPoint] = Field(description="Daily clicks, conversions, revenue and payout.")
    meta: Meta


class CacheInvalidated(BaseModel):
    organization_id: int
    invalidated: bool


class EverflowHealth(BaseModel):
    status: Literal["up", "down", "unknown"] = Field(description="From the last report fetch; no call is made.")
    checked_at: dt.datetime | None
    error: str | None


class SystemHealth(BaseModel):
    status: Literal["UP", "DEGRADED", "DOWN"]
    database: Literal["up", "down"]
    redis: Literal["up", "down"]
    everflow: EverflowHealth
    sync: SyncHealth | None = Field(description="Null while the database is unreachable.")
    report_cache: dict[str, int] = Field(description="Hits, misses, stale answers and errors of this instance.")
    checked_at: dt.datetime

