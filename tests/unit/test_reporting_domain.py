"""Reporting periods (in the caller's zone), metric sums and rates, and period-over-period changes."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.domain.errors import ValidationFailed
from shared.domain.reporting import Metrics, Period, PeriodName, change_percent, compare, resolve_period, total

# 2024-03-10 02:30 UTC: still the 9th in New York, already the 10th in Tokyo.
NOW = dt.datetime(2024, 3, 10, 2, 30, tzinfo=dt.UTC)


def test_today_is_today_in_the_callers_zone() -> None:
    assert resolve_period("today", None, None, "UTC", NOW).start == dt.date(2024, 3, 10)
    assert resolve_period("today", None, None, "America/New_York", NOW).start == dt.date(2024, 3, 9)
    assert resolve_period("today", None, None, "Asia/Tokyo", NOW).end == dt.date(2024, 3, 10)


@pytest.mark.parametrize(("name", "days"), [("7d", 7), ("30d", 30), ("90d", 90), ("today", 1)])
def test_rolling_periods_end_today_and_span_their_days(name: str, days: int) -> None:
    period = resolve_period(name, None, None, "America/New_York", NOW)
    assert (period.end, period.days, period.name) == (dt.date(2024, 3, 9), days, PeriodName(name))
    assert period.start == dt.date(2024, 3, 9) - dt.timedelta(days=days - 1)


def test_rolling_periods_ignore_custom_bounds() -> None:
    period = resolve_period("7d", dt.date(2020, 1, 1), dt.date(2020, 1, 2), "UTC", NOW)
    assert (period.start, period.end) == (dt.date(2024, 3, 4), dt.date(2024, 3, 10))


def test_a_custom_period_keeps_its_bounds() -> None:
    period = resolve_period("custom", dt.date(2024, 1, 1), dt.date(2024, 1, 31), "Europe/Berlin", NOW)
    assert period == Period(dt.date(2024, 1, 1), dt.date(2024, 1, 31), "Europe/Berlin", PeriodName.CUSTOM)
    assert period.days == 31
    assert period.as_dict() == {"name": "custom", "start": "2024-01-01", "end": "2024-01-31",
                                "timezone": "Europe/Berlin", "days": 31}


@pytest.mark.parametrize(("start", "end", "message"), [
    (None, dt.date(2024, 1, 1), "both a start and an end"),
    (dt.date(2024, 1, 1), None, "both a start and an end"),
    (dt.date(2024, 2, 1), dt.date(2024, 1, 31), "must not be before"),
    (dt.date(2023, 1, 1), dt.date(2023, 12, 31) + dt.timedelta(days=1), "at most 365 days"),
])
def test_a_custom_period_needs_two_ordered_bounds_within_a_year(start, end, message) -> None:
    with pytest.raises(ValidationFailed, match=message):
        resolve_period("custom", start, end, "UTC", NOW)


def test_a_custom_period_of_exactly_365_days_is_allowed() -> None:
    period = resolve_period("custom", dt.date(2023, 1, 1), dt.date(2023, 12, 31), "UTC", NOW)
    assert period.days == 365


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd", "utc+5"])
def test_an_unknown_zone_is_refused(zone: str) -> None:
    with pytest.raises(ValidationFailed, match="time zone"):
        resolve_period("today", None, None, zone, NOW)


def test_an_unknown_period_name_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="Unknown period"):
        resolve_period("yesterday", None, None, "UTC", NOW)


def test_the_previous_period_has_the_same_length_and_ends_the_day_before() -> None:
    period = Period(dt.date(2024, 3, 1), dt.date(2024, 3, 7), "UTC", PeriodName.LAST_7_DAYS)
    before = period.previous()
    assert (before.start, before.end, before.days) == (dt.date(2024, 2, 23), dt.date(2024, 2, 29), 7)
    today = resolve_period("today", None, None, "UTC", NOW).previous()
    assert (today.start, today.end) == (dt.date(2024, 3, 9), dt.date(2024, 3, 9))


def test_period_dates_list_every_day() -> None:
    period = Period(dt.date(2024, 2, 28), dt.date(2024, 3, 1), "UTC")
    assert period.dates() == [dt.date(2024, 2, 28), dt.date(2024, 2, 29), dt.date(2024, 3, 1)]


def test_metrics_add_up_field_by_field() -> None:
    first = Metrics(impressions=100, clicks=10, unique_clicks=8, conversions=2, revenue_cents=1_000, payout_cents=600)
    second = Metrics(impressions=50, clicks=5, unique_clicks=4, conversions=1, revenue_cents=501, payout_cents=300)
    assert first + second == Metrics(150, 15, 12, 3, 1_501, 900)
    assert total([first, second]) == first + second
    assert total([]) == Metrics()


def test_rates_come_from_the_sums() -> None:
    metrics = Metrics(impressions=1_000, clicks=120, unique_clicks=90, conversions=7, revenue_cents=12_345,
                      payout_cents=4_321)
    assert metrics.cvr == 7.78  # 7 / 90
    assert metrics.epc == 0.4801  # 43.21 / 90
    assert metrics.profit_cents == 8_024
    assert metrics.as_dict() == {"impressions": 1_000, "clicks": 120, "unique_clicks": 90, "conversions": 7,
                                 "revenue": 123.45, "payout": 43.21, "profit": 80.24, "cvr": 7.78, "epc": 0.4801}


def test_rates_without_clicks_are_zero() -> None:
    assert (Metrics().cvr, Metrics().epc) == (0.0, 0.0)
    assert Metrics(conversions=3).cvr == 0.0


def test_metrics_survive_a_json_round_trip() -> None:
    metrics = Metrics(1, 2, 3, 4, 5, 6)
    assert Metrics.from_json(metrics.to_json()) == metrics


@pytest.mark.parametrize(("current", "previous", "change"), [
    (150, 100, 50.0), (50, 100, -50.0), (100, 100, 0.0), (1, 3, -66.67), (5, 0, None), (0, 0, None),
    (-20, -10, -100.0),
])
def test_change_percent(current: float, previous: float, change: float | None) -> None:
    assert change_percent(current, previous) == change


def test_compare_gives_a_change_for_every_shown_figure() -> None:
    now = Metrics(impressions=200, clicks=20, unique_clicks=10, conversions=2, revenue_cents=2_000, payout_cents=500)
    before = Metrics(impressions=100, clicks=20, unique_clicks=10, conversions=0, revenue_cents=1_000,
                     payout_cents=500)
    changes = compare(now, before)
    assert set(changes) == set(now.as_dict())
    assert changes["impressions"] == 100.0
    assert changes["clicks"] == 0.0
    assert changes["conversions"] is None
    assert changes["cvr"] is None
    assert changes["profit"] == 200.0
