"""Dashboard figures from the two cached Everflow reports: days, totals, rankings, chart points, freshness.

Every dashboard route reads the same two reports of an organization (see dashboards.py): the
*series* (column `date`, previous and current period in one request) and the *breakdown* (the
organization type's entity columns over the current period). Everything here derives figures from
them without any I/O.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from shared.adapters.everflow.reporting import Dimension, EntityReport, EntityRow
from shared.caching import Cached
from shared.domain.reporting import Metrics, Period, total, zone

WEEKLY_AFTER_DAYS = 90  # longer periods are charted per week: a year of daily points is unreadable
TOP = 10


@dataclass(frozen=True)
class Freshness:
    """The provenance of a response's figures: the oldest report used, any stale, any fetched."""

    fetched_at: float
    stale: bool
    hit: bool

    @classmethod
    def of(cls, reports: Iterable[Cached[EntityReport]]) -> Freshness:
        used = list(reports)
        if not used:
            return cls(time.time(), stale=False, hit=True)
        return cls(min(item.fetched_at for item in used), any(item.stale for item in used),
                   all(item.hit for item in used))

    def age_s(self, now: float | None = None) -> float:
        return max((time.time() if now is None else now) - self.fetched_at, 0.0)

    @property
    def header(self) -> str:
        """The X-Cache value: stale wins over hit, since it is what the caller must notice."""
        if self.stale:
            return "stale"
        return "hit" if self.hit else "miss"


@dataclass(frozen=True)
class Ranked:
    """One entity of a breakdown (offer, affiliate or advertiser) with its summed numbers."""

    dimension: Dimension
    metrics: Metrics


def day_of(dimension: Dimension, timezone: str) -> dt.date | None:
    """The day a `date` cell stands for: its label (YYYY-MM-DD), else its id as the day's Unix start."""
    try:
        return dt.date.fromisoformat(dimension.label[:10])
    except ValueError:
        pass
    if dimension.id.isdigit():
        return dt.datetime.fromtimestamp(int(dimension.id), zone(timezone)).date()
    return None


def by_day(reports: Sequence[EntityReport], timezone: str) -> dict[dt.date, Metrics]:
    """The numbers of every day the series reports hold."""
    days: defaultdict[dt.date, Metrics] = defaultdict(Metrics)
    for report in reports:
        for row in report.rows:
            day = day_of(row.dims["date"], timezone)
            if day is not None:
                days[day] = days[day] + row.metrics
    return dict(days)


def period_total(days: dict[dt.date, Metrics], period: Period) -> Metrics:
    return total([days[day] for day in period.dates() if day in days])


def ranked(rows: Iterable[EntityRow], column: str, *, by: Callable[[Metrics], int]) -> list[Ranked]:
    """The rows summed per value of `column`, best first (`by`), ties by conversions then id."""
    sums: defaultdict[str, Metrics] = defaultdict(Metrics)
    labels: dict[str, Dimension] = {}
    for row in rows:
        dimension = row.dims[column]
        sums[dimension.id] = sums[dimension.id] + row.metrics
        labels.setdefault(dimension.id, dimension)
    order = sorted(sums, key=lambda key: (-by(sums[key]), -sums[key].conversions, key))
    return [Ranked(labels[key], sums[key]) for key in order]


def rows_of(report: EntityReport, column: str, value: str) -> list[EntityRow]:
    """The breakdown rows whose `column` is `value`."""
    return [row for row in report.rows if row.dims[column].id == value]


def revenue(metrics: Metrics) -> int:
    return metrics.revenue_cents


def payout(metrics: Metrics) -> int:
    return metrics.payout_cents


@dataclass(frozen=True)
class Point:
    """One chart point: the index in the period, its first day, its numbers, and the previous period's."""

    index: int
    day: dt.date
    metrics: Metrics
    previous_day: dt.date | None
    previous: Metrics | None


def granularity(period: Period) -> Literal["daily", "weekly"]:
    return "weekly" if period.days > WEEKLY_AFTER_DAYS else "daily"


def points(days: dict[dt.date, Metrics], period: Period, previous: Period | None) -> list[Point]:
    """Daily (or weekly) points of `period`, each beside the previous period's point of the same index."""
    step = 7 if granularity(period) == "weekly" else 1
    current_days, previous_days = period.dates(), previous.dates() if previous else []
    result = []
    for index, first in enumerate(range(0, len(current_days), step), start=1):
        chunk = current_days[first:first + step]
        before = previous_days[first:first + step]
        result.append(Point(index, chunk[0], total([days.get(day, Metrics()) for day in chunk]),
                            before[0] if before else None,
                            total([days.get(day, Metrics()) for day in before]) if previous else None))
    return result
