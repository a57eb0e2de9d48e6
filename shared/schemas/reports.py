"""Query models of the reports API: the original's parameters, in camelCase or snake_case."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AliasChoices, Field, StringConstraints, ValidationInfo, field_validator

from shared.domain.reporting import LONGEST_PERIOD_DAYS, Period, PeriodName, resolve_period
from shared.domain.reports import (
    ClickSort,
    ConversionSort,
    ConversionStatus,
    DailySort,
    Granularity,
    Listing,
    ReportRequest,
    SummarySort,
)
from shared.schemas.common import PositiveId, QueryModel, SortOrder, TimeZone, plain_text
from shared.schemas.tracking_links import IdList

DEFAULT_LIMIT = 10  # the original's default `limit`
Search = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(plain_text)]


def _aliases(*names: str) -> Any:
    return AliasChoices(*names)



class ReportQuery(QueryModel):
    """What every report takes: the days (both included, at most 365), the zone, filters, the organization."""

    start_date: dt.date = Field(validation_alias=_aliases("startDate", "start_date"),
                                description="First day, YYYY-MM-DD (also `start_date`).")
    end_date: dt.date = Field(validation_alias=_aliases("endDate", "end_date"),
                              description="Last day, included, YYYY-MM-DD (also `end_date`); at most 365 days.")
    timezone: TimeZone = Field(default="UTC", description="IANA time zone of the days.")
    campaign_ids: IdList | None = Field(
        default=None, validation_alias=_aliases("campaignIds", "campaign_ids"),
        description="Comma-separated ids of your campaigns (synced to Everflow) to limit the report to.")
    affiliate_id: PositiveId | None = Field(default=None, validation_alias=_aliases("affiliateId", "affiliate_id"),
                                            description="One of your affiliates (synced to Everflow).")
    organization_id: PositiveId | None = Field(
        default=None, validation_alias=_aliases("organizationId", "organization_id"),
        description="Report on this organization (Admin and PlatformOwner: any; others: their own).")
    format: Literal["json", "csv"] | None = Field(
        default=None, description="`csv` downloads the whole result (also chosen by `Accept: text/csv`).")

    @field_validator("end_date")
    @classmethod
    def _within_a_year(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start_date")
        if start is not None and end < start:
            raise ValueError("must not be before startDate")
        if start is not None and (end - start).days + 1 > LONGEST_PERIOD_DAYS:
            raise ValueError(f"the range covers at most {LONGEST_PERIOD_DAYS} days")
        return end

    def period(self) -> Period:
        return resolve_period(PeriodName.CUSTOM, self.start_date, self.end_date, self.timezone,
                              dt.datetime.now(dt.UTC))

    def report_request(self, *, export: bool, search: str | None = None,
                       status: ConversionStatus | None = None) -> ReportRequest:
        campaigns = None if self.campaign_ids is None else tuple(dict.fromkeys(self.campaign_ids))
        return ReportRequest(self.period(), self.organization_id, campaigns, self.affiliate_id, search or None,
                             status, export)


class SummaryQuery(ReportQuery):
    sort_by: SummarySort = Field(default=SummarySort.REVENUE, validation_alias=_aliases("sortBy", "sort_by"))
    sort_order: SortOrder = Field(default=SortOrder.DESC, validation_alias=_aliases("sortOrder", "sort_order"))

    def listing(self) -> Listing:
        return Listing(self.sort_by.value, self.sort_order is SortOrder.DESC)


class TimeseriesQuery(ReportQuery):
    granularity: Granularity = Field(default=Granularity.DAILY,
                                     description="hourly (at most 14 days), daily, weekly or monthly.")


class ListQuery(ReportQuery):
    """A paged report: `page` and `limit` (or `pageSize`), sorted by one field."""

    search: Search | None = None
    page: int = Field(default=1, ge=1, le=999_999_999)
    limit: int | None = Field(default=None, ge=1, le=999_999_999,
                              description=f"Rows per page (default {DEFAULT_LIMIT}, at most MAX_PAGE_SIZE).")
    page_size: int | None = Field(default=None, ge=1, le=999_999_999,
                                  validation_alias=_aliases("pageSize", "page_size"), description="Same as `limit`.")
    sort_order: SortOrder = Field(default=SortOrder.DESC, validation_alias=_aliases("sortOrder", "sort_order"))

    def _listing(self, sort_by: str, max_size: int) -> Listing:
        size = min(self.limit or self.page_size or DEFAULT_LIMIT, max_size)
        return Listing(sort_by, self.sort_order is SortOrder.DESC, self.page, size)


class DailyQuery(ListQuery):
    sort_by: DailySort = Field(default=DailySort.DATE, validation_alias=_aliases("sortBy", "sort_by"))

    def listing(self, max_size: int) -> Listing:
        return self._listing(self.sort_by.value, max_size)


class ConversionsQuery(ListQuery):
    status: ConversionStatus | None = None
    sort_by: ConversionSort = Field(default=ConversionSort.TIME, validation_alias=_aliases("sortBy", "sort_by"))

    def listing(self, max_size: int) -> Listing:
        return self._listing(self.sort_by.value, max_size)


class ClicksQuery(ListQuery):
    sort_by: ClickSort = Field(default=ClickSort.TIME, validation_alias=_aliases("sortBy", "sort_by"))

    def listing(self, max_size: int) -> Listing:
        return self._listing(self.sort_by.value, max_size)
