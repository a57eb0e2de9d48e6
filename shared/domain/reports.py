"""Reports' own rules: their metrics, granularities, limits, and how their rows are searched, sorted and paged.

Report rows are flat mappings (field name → value), the same for a JSON page and a CSV export, so a
route's sort fields are simply some of its row's field names.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from shared.domain.errors import ValidationFailed
from shared.domain.reporting import Metrics, Period

Row = Mapping[str, Any]
EXPORT_ROW_LIMIT = 100_000  # a CSV export past this many rows is refused: narrow the range or filters
SORT_FETCH_LIMIT = 5_000  # conversions read from Everflow to sort them other than newest first
CLICK_WINDOW_DAYS = 14  # Everflow's click stream answers at most 14 days


class Granularity(enum.StrEnum):
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"

    @property
    def column(self) -> str:
        """Everflow's time column for this granularity."""
        return {"hourly": "hour", "daily": "date", "weekly": "week", "monthly": "month"}[self.value]


PERFORMANCE_FIELDS = ("impressions", "clicks", "unique_clicks", "conversions", "revenue", "payout", "profit",
                      "conversion_rate", "average_revenue", "ctr", "epc")


class SummarySort(enum.StrEnum):
    CAMPAIGN_NAME = "campaign_name"
    IMPRESSIONS = "impressions"
    CLICKS = "clicks"
    UNIQUE_CLICKS = "unique_clicks"
    CONVERSIONS = "conversions"
    REVENUE = "revenue"
    PAYOUT = "payout"
    PROFIT = "profit"
    CONVERSION_RATE = "conversion_rate"
    AVERAGE_REVENUE = "average_revenue"
    CTR = "ctr"
    EPC = "epc"


class DailySort(enum.StrEnum):
    DATE = "date"
    CAMPAIGN_NAME = "campaign_name"
    IMPRESSIONS = "impressions"
    CLICKS = "clicks"
    UNIQUE_CLICKS = "unique_clicks"
    CONVERSIONS = "conversions"
    REVENUE = "revenue"
    PAYOUT = "payout"
    PROFIT = "profit"
    CONVERSION_RATE = "conversion_rate"
    AVERAGE_REVENUE = "average_revenue"
    CTR = "ctr"
    EPC = "epc"


class ConversionSort(enum.StrEnum):
    TIME = "conversion_time"
    CLICK_TIME = "click_time"
    STATUS = "status"
    CAMPAIGN_NAME = "campaign_name"
    AFFILIATE_NAME = "affiliate_name"
    PAYOUT = "payout"
    REVENUE = "revenue"
    SALE_AMOUNT = "sale_amount"
    COUNTRY = "country"
    DEVICE = "device"


class ClickSort(enum.StrEnum):
    TIME = "click_time"
    CAMPAIGN_NAME = "campaign_name"
    AFFILIATE_NAME = "affiliate_name"
    IS_UNIQUE = "is_unique"
    REVENUE = "revenue"
    COUNTRY = "country"
    DEVICE = "device"


class ConversionStatus(enum.StrEnum):
    APPROVED = "approved"
    PENDING = "pending"
    REJECTED = "rejected"
    INVALID = "invalid"


def _money(cents: int) -> float:
    return round(cents / 100, 2)


def performance(metrics: Metrics) -> dict[str, Any]:
    """A report's figures: Everflow's counts and money, and the rates derived from them (2 decimals).

    conversion_rate is Everflow's cvr (conversions per 100 unique clicks), average_revenue the
    revenue per conversion, ctr the clicks per 100 impressions, epc the payout per unique click.
    """
    conversions, impressions = metrics.conversions, metrics.impressions
    return {"impressions": impressions, "clicks": metrics.clicks, "unique_clicks": metrics.unique_clicks,
            "conversions": conversions, "revenue": _money(metrics.revenue_cents),
            "payout": _money(metrics.payout_cents), "profit": _money(metrics.profit_cents),
            "conversion_rate": metrics.cvr,
            "average_revenue": round(metrics.revenue_cents / 100 / conversions, 2) if conversions else 0.0,
            "ctr": round(metrics.clicks * 100 / impressions, 2) if impressions else 0.0, "epc": metrics.epc}


def check_click_window(period: Period) -> None:
    """Everflow streams clicks of at most 14 days: a longer range is refused before asking."""
    if period.days > CLICK_WINDOW_DAYS:
        raise ValidationFailed(
            f"Clicks can be listed for at most {CLICK_WINDOW_DAYS} days at a time; this range has {period.days}.",
            details=[{"field": "endDate", "location": "query", "type": "range_too_long",
                      "message": f"must be at most {CLICK_WINDOW_DAYS - 1} days after startDate"}])


def check_export_size(total: int, limit: int = EXPORT_ROW_LIMIT) -> None:
    if total > limit:
        raise ValidationFailed(
            f"The export would hold {total} rows, more than the {limit} a CSV may hold; "
            "narrow the date range or the filters.")


@dataclass(frozen=True)
class ReportRequest:
    """What a report covers: whose numbers (None: the caller's organization), which days, which of its
    campaigns and affiliates (our ids), and whether the whole result is wanted (a CSV export)."""

    period: Period
    organization_id: int | None = None
    campaign_ids: tuple[int, ...] | None = None
    affiliate_id: int | None = None
    search: str | None = None
    status: ConversionStatus | None = None
    export: bool = False


@dataclass(frozen=True)
class Listing:
    """How a list is wanted: sorted by one of its fields, one page of it."""

    sort_by: str
    descending: bool = True
    page: int = 1
    limit: int = 10

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    def window(self, rows: Sequence[Row]) -> list[Row]:
        return list(rows[self.offset:self.offset + self.limit])


class Sourced(Protocol):
    """A value the report cache served: when Everflow produced it, whether stale, whether cached."""

    @property
    def fetched_at(self) -> float: ...

    @property
    def stale(self) -> bool: ...

    @property
    def hit(self) -> bool: ...


@dataclass(frozen=True)
class Provenance:
    """Where a report's numbers came from; no `fetched_at` at all means nothing had to be asked."""

    fetched_at: tuple[float, ...] = ()
    stale: bool = False
    hit: bool = True

    @classmethod
    def of(cls, *sources: Sourced) -> Provenance:
        return cls(tuple(item.fetched_at for item in sources), any(item.stale for item in sources),
                   all(item.hit for item in sources))


@dataclass(frozen=True)
class Report:
    """A report's rows (one page, or all of them for an export), how many there are, and their provenance."""

    organization_id: int
    period: Period
    rows: list[Row]
    total: int
    provenance: Provenance
    truncated: bool = False
    totals: Metrics | None = None


def total_pages(total: int, limit: int) -> int:
    return -(-total // limit)


def _key(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def arranged(rows: Iterable[Row], sort_by: str, *, descending: bool, ties: Sequence[str] = ()) -> list[Row]:
    """Rows sorted by one field (text ignoring case); equal rows in the order of `ties`; blanks always last."""
    ordered = sorted(rows, key=lambda row: tuple(_key(row[name]) for name in ties))
    present = [row for row in ordered if row[sort_by] not in (None, "")]
    blank = [row for row in ordered if row[sort_by] in (None, "")]
    return sorted(present, key=lambda row: _key(row[sort_by]), reverse=descending) + blank


def matching(rows: Iterable[Row], search: str | None, fields: Sequence[str]) -> list[Row]:
    """Rows where any of `fields` contains `search`, ignoring case (every row without a search)."""
    if not search:
        return list(rows)
    wanted = search.casefold()
    return [row for row in rows if any(wanted in str(row[name] or "").casefold() for name in fields)]


def local_time(unix: int, timezone: dt.tzinfo) -> dt.datetime:
    """A Unix time as an aware datetime in the report's zone."""
    return dt.datetime.fromtimestamp(unix, timezone)
