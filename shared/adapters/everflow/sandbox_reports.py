"""The entity report (contract §2.5a): summary, per-day performance and a table grouped by the asked columns.

With an `hour` column the table has one row per UTC hour (label "YYYY-MM-DD HH:00", id its Unix start),
built from the same clicks and conversions as the streams (sandbox_hours); a day's hours add up to it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable

from shared.adapters.everflow.sandbox_data import DayStats, Pair, day_start, day_stats
from shared.adapters.everflow.sandbox_fields import Json, bad_request, objects, text
from shared.adapters.everflow.sandbox_hours import HOUR_S, hour_stats
from shared.adapters.everflow.sandbox_metrics import Totals, metrics
from shared.adapters.everflow.sandbox_partners import currency
from shared.adapters.everflow.sandbox_report_query import (
    ID_RESOURCES,
    Catalog,
    Scope,
    check_period,
    day,
    days,
    scope,
    timezone,
    today,
)
from shared.adapters.everflow.sandbox_state import Kind, SandboxState

MAX_ROWS = 10_000
LONGEST_DAYS = 367
# Everflow documents no limit for hourly reports; the sandbox allows 14 days (24 rows per day and entity).
LONGEST_HOURLY_DAYS = 14
TIME_COLUMNS = ("hour", "date", "week", "month", "year")
# Real Everflow columns the sandbox has no data for: refused plainly rather than answered wrongly.
UNMODELLED_COLUMNS = frozenset({
    "offer_group", "campaign", "creative", "event_name", "offer_url", "country", "country_code",
    "region", "city", "platform", "device_type", "browser", "sub1", "sub2", "sub3", "sub4", "sub5",
    "source_id", "adv1", "adv2", "adv3", "adv4", "adv5", "coupon_code", "tracking_domain", "offer_status",
    "payout_type", "revenue_type",
})
Cell = tuple[int, str, str]  # (sort key, id, label)


def entity_report(body: Json, state: SandboxState) -> Json:
    """`POST /v1/networks/reporting/entity` (and `/entity/table`)."""
    start, end = day(body, "from"), day(body, "to")
    timezone(body)
    currency(body, "currency_id", required=True)
    columns = _columns(body)
    check_period(start, end, longest_days=LONGEST_HOURLY_DAYS if "hour" in columns else LONGEST_DAYS)
    catalog = Catalog.load(state)
    pairs = catalog.pairs(scope(body, resource_types=ID_RESOURCES))
    summary, performance = Totals(), {current: Totals() for current in days(start, end)}
    table: defaultdict[tuple[Cell, ...], Totals] = defaultdict(Totals)
    for current in days(start, min(end, today(state))):
        for pair in pairs:
            for hour, stats in _slices(pair, current, hourly="hour" in columns):
                summary.add(stats)
                performance[current].add(stats)
                table[tuple(_cell(column, pair, current, hour, catalog) for column in columns)].add(stats)
    rows = [{"columns": [{"column_type": column, "id": cell[1], "label": cell[2]} for column, cell
                         in zip(columns, key, strict=True)], "reporting": metrics(totals)}
            for key, totals in sorted(table.items())]
    return {"summary": metrics(summary),
            "performance": [{"unix": day_start(current), "reporting": metrics(totals)}
                            for current, totals in performance.items()],
            "table": rows[:MAX_ROWS], "incomplete_results": len(rows) > MAX_ROWS}


def _slices(pair: Pair, current: dt.date, *, hourly: bool) -> list[tuple[int, DayStats]]:
    """The day's stats whole (hour -1), or per hour when the report has an hour column."""
    if hourly:
        return list(enumerate(hour_stats(pair, current)))
    return [(-1, day_stats(pair, current))]


def _columns(body: Json) -> list[str]:
    items = objects(body, "columns")
    if not 1 <= len(items) <= 10:
        raise bad_request("columns must hold between 1 and 10 columns")
    names = [text(item, "column", required=True, where=f"columns[{index}].") for index, item in enumerate(items)]
    for name in names:
        if name in UNMODELLED_COLUMNS:
            raise bad_request(f"column {name} is not supported by the sandbox")
        if name not in TIME_COLUMNS and name not in ID_RESOURCES:
            raise bad_request(f"invalid column: {name}")
    if sum(name in TIME_COLUMNS for name in names) > 1:
        raise bad_request("at most one time column is allowed")
    return names


def _cell(column: str, pair: Pair, current: dt.date, hour: int, catalog: Catalog) -> Cell:
    if column == "hour":
        first = day_start(current) + hour * HOUR_S
        return first, str(first), f"{current.isoformat()} {hour:02d}:00"
    if column in TIME_COLUMNS:
        first_day, label = _period(column, current)
        return day_start(first_day), str(day_start(first_day)), label
    entity_id = {"offer": pair.offer_id, "affiliate": pair.affiliate_id, "advertiser": pair.advertiser_id}[column]
    records = {"offer": catalog.offers, "affiliate": catalog.affiliates, "advertiser": catalog.advertisers}[column]
    return entity_id, str(entity_id), str(records.get(entity_id, {}).get("name", ""))


def _period(column: str, current: dt.date) -> tuple[dt.date, str]:
    """The first day of the period holding `current`, and its label."""
    if column == "week":
        monday = current - dt.timedelta(days=current.weekday())
        return monday, monday.isoformat()
    if column == "month":
        return current.replace(day=1), current.strftime("%Y-%m")
    if column == "year":
        return current.replace(month=1, day=1), str(current.year)
    return current, current.isoformat()


def todays_metrics(state: SandboxState) -> Callable[[Kind, int], Json]:
    """The `reporting` relationship of an object: its metrics for today (UTC)."""
    def report(kind: Kind, entity_id: int) -> Json:
        ids = frozenset({entity_id})
        wanted = {Kind.OFFERS: Scope(offers=ids), Kind.AFFILIATES: Scope(affiliates=ids),
                  Kind.ADVERTISERS: Scope(advertisers=ids)}[kind]
        totals = Totals()
        for pair in Catalog.load(state).pairs(wanted):
            totals.add(day_stats(pair, today(state)))
        return metrics(totals)

    return report
