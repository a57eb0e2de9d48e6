"""Reporting periods and metrics: what a dashboard or report covers and the numbers it shows.

Periods are calendar days in the caller's time zone, both ends included; "today" is today *there*.
Metrics are integer sums (money in cents), so adding rows never loses a cent; rates are derived
from the sums, never averaged.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, fields
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.domain.errors import ValidationFailed

LONGEST_PERIOD_DAYS = 365
ROLLING_DAYS = {"7d": 7, "30d": 30, "90d": 90}


class PeriodName(enum.StrEnum):
    TODAY = "today"
    LAST_7_DAYS = "7d"
    LAST_30_DAYS = "30d"
    LAST_90_DAYS = "90d"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    """Calendar days from `start` to `end` (both included) in `timezone`."""

    start: dt.date
    end: dt.date
    timezone: str
    name: PeriodName = PeriodName.CUSTOM

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length immediately before this one."""
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end, self.timezone, self.name)

    def dates(self) -> list[dt.date]:
        """Every day of the period, in order."""
        return [self.start + dt.timedelta(days=offset) for offset in range(self.days)]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name.value, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "timezone": self.timezone, "days": self.days}


def zone(name: str) -> ZoneInfo:
    """The IANA time zone called `name`; ValidationFailed for anything else."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(f"Unknown time zone: {name}") from None


def today_in(timezone: str, now: dt.datetime) -> dt.date:
    """The calendar date in `timezone` at the (timezone-aware) moment `now`."""
    return now.astimezone(zone(timezone)).date()


def resolve_period(name: PeriodName | str, start: dt.date | None, end: dt.date | None, timezone: str,
                   now: dt.datetime) -> Period:
    """The period a request names: a rolling window ending today in `timezone`, or custom bounds."""
    try:
        kind = PeriodName(name)
    except ValueError:
        raise ValidationFailed(f"Unknown period: {name}; use one of "
                               f"{', '.join(item.value for item in PeriodName)}") from None
    today = today_in(timezone, now)
    if kind is PeriodName.TODAY:
        return Period(today, today, timezone, kind)
    if kind is not PeriodName.CUSTOM:
        return Period(today - dt.timedelta(days=ROLLING_DAYS[kind.value] - 1), today, timezone, kind)
    return _custom(start, end, timezone)


def _custom(start: dt.date | None, end: dt.date | None, timezone: str) -> Period:
    if start is None or end is None:
        raise ValidationFailed("A custom period needs both a start and an end date")
    if end < start:
        raise ValidationFailed("The end date must not be before the start date")
    period = Period(start, end, timezone, PeriodName.CUSTOM)
    if period.days > LONGEST_PERIOD_DAYS:
        raise ValidationFailed(f"A period covers at most {LONGEST_PERIOD_DAYS} days")
    return period


def _money(cents: int) -> float:
    return round(cents / 100, 2)


@dataclass(frozen=True)
class Metrics:
    """Traffic and money of some slice of a report; money in cents."""

    impressions: int = 0
    clicks: int = 0
    unique_clicks: int = 0
    conversions: int = 0
    revenue_cents: int = 0
    payout_cents: int = 0

    def __add__(self, other: Metrics) -> Metrics:
        # Spelled out: every dashboard request sums hundreds of rows, and a loop over fields costs 4x more.
        return Metrics(self.impressions + other.impressions, self.clicks + other.clicks,
                       self.unique_clicks + other.unique_clicks, self.conversions + other.conversions,
                       self.revenue_cents + other.revenue_cents, self.payout_cents + other.payout_cents)

    @property
    def profit_cents(self) -> int:
        return self.revenue_cents - self.payout_cents

    @property
    def cvr(self) -> float:
        """Conversions per 100 unique clicks."""
        return round(self.conversions * 100 / self.unique_clicks, 2) if self.unique_clicks else 0.0

    @property
    def epc(self) -> float:
        """Payout per unique click, in currency units (4 decimals: EPCs are often below a cent)."""
        return round(self.payout_cents / 100 / self.unique_clicks, 4) if self.unique_clicks else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"impressions": self.impressions, "clicks": self.clicks, "unique_clicks": self.unique_clicks,
                "conversions": self.conversions, "revenue": _money(self.revenue_cents),
                "payout": _money(self.payout_cents), "profit": _money(self.profit_cents),
                "cvr": self.cvr, "epc": self.epc}

    def to_json(self) -> dict[str, int]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Metrics:
        return cls(**{item.name: int(value.get(item.name, 0)) for item in fields(cls)})


def total(items: list[Metrics] | tuple[Metrics, ...]) -> Metrics:
    """The sum of some metrics (zero for none)."""
    result = Metrics()
    for item in items:
        result = result + item
    return result


def change_percent(current: float, previous: float) -> float | None:
    """The change from `previous` to `current` in percent (2 decimals); None when there was nothing before."""
    if not previous:
        return None
    return round((current - previous) * 100 / abs(previous), 2)


def compare(current: Metrics, previous: Metrics) -> dict[str, float | None]:
    """The change of every shown figure from the previous period to this one."""
    before = previous.as_dict()
    return {name: change_percent(value, before[name]) for name, value in current.as_dict().items()}


@dataclass(frozen=True)
class MappedEntity:
    """Our entity behind an Everflow id: a campaign (offer), affiliate or advertiser, with its name."""

    provider_id: int
    entity_id: int
    name: str
    status: str | None = None
    organization_id: int | None = None
