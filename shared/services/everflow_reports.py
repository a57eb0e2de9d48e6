"""A tenant's Everflow numbers: entity reports, conversions and clicks, always filtered, always through the cache.

Every query carries the tenant's `ReportFilter`; an empty one answers empty without calling Everflow.
Values are cached as JSON per tenant (`org:<id>`) under a key naming the period, the time zone, the
columns and the filter, so two tenants never share an entry and a changed filter is a new entry.
Everflow failures become `ReportsUnavailable` (503) unless the cache still holds the numbers, which
are then served flagged stale. The sandbox's traffic is UTC whatever the zone; real Everflow applies it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from shared.adapters.everflow.client import get_reporting_client
from shared.adapters.everflow.errors import EverflowError
from shared.adapters.everflow.reporting import (
    TIME_COLUMNS,
    Click,
    ClickList,
    ConversionPage,
    EntityReport,
    clicks_body,
    conversions_body,
    entity_body,
    parse_clicks,
    parse_conversions,
    parse_entity,
    parse_timezones,
)
from shared.caching import Cached, get_report_cache
from shared.domain.errors import ServiceUnavailable, ValidationFailed
from shared.domain.reporting import zone
from shared.services.report_scope import TenantReportScope

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
LONGEST_REPORT_DAYS = 367  # Everflow's limit for entity reports and conversions
LONGEST_HOURLY_DAYS = 14  # our limit (Everflow documents none): 14 x 24 rows per entity stay small
LONGEST_CLICK_DAYS = 14  # Everflow refuses longer click-stream windows
TIMEZONES_TTL_S = 86_400.0
PARALLEL_REPORTS = 4
FORMAT = 2  # of the cached JSON: bump it when a report's shape changes, so a deploy never reads old entries
CONVERSION_STATUSES = frozenset({"approved", "pending", "rejected", "invalid"})
EntityRequest = tuple[dt.date, dt.date, Sequence[str]]


class ReportsUnavailable(ServiceUnavailable):
    code = "everflow_unavailable"


@dataclass(frozen=True)
class ClickPage:
    """One page of a window's clicks, newest first; `incomplete` when Everflow's 10,000-click cap cut them."""

    clicks: tuple[Click, ...]
    page: int
    page_size: int
    total: int
    incomplete: bool


def timezone_id(name: str) -> int:
    """Everflow's id of the IANA zone `name`; ValidationFailed when Everflow does not list it."""
    zone(name)
    found = _timezones().get(name)
    if found is None:
        raise ValidationFailed(f"Everflow does not support the time zone {name}")
    return found


def entity_report(scope: TenantReportScope, start: dt.date, end: dt.date, timezone: str,
                  columns: Sequence[str]) -> Cached[EntityReport]:
    """The tenant's aggregated numbers of these days (both included), grouped by `columns`."""
    _check_entity(start, end, timezone, columns)
    if scope.filter.is_empty:
        return _nothing(EntityReport())
    key = {"format": FORMAT, "start": start, "end": end, "timezone": timezone, "columns": list(columns),
           "filter": scope.filter.key()}

    def load() -> dict[str, Any]:
        body = entity_body(start, end, timezone_id(timezone), columns, scope.filter)
        return parse_entity(_everflow(lambda: get_reporting_client().entity_report(body)), columns).to_json()

    return _converted(get_report_cache().get("entity", scope.tenant, key, load), EntityReport.from_json)


def entity_reports(scope: TenantReportScope, requests: Sequence[EntityRequest],
                   timezone: str) -> list[Cached[EntityReport]]:
    """Several entity reports, in order; the ones not cached are fetched from Everflow side by side."""
    for start, end, columns in requests:
        _check_entity(start, end, timezone, columns)
    if len(requests) <= 1 or scope.filter.is_empty:
        return [entity_report(scope, start, end, timezone, columns) for start, end, columns in requests]
    with contextlib.suppress(ReportsUnavailable):  # each report then serves what the cache holds
        timezone_id(timezone)  # the catalogue once, before the reports that need it start together
    (start, end, columns), *others = requests
    futures = [_executor().submit(entity_report, scope, begin, finish, timezone, wanted)
               for begin, finish, wanted in others]
    first = entity_report(scope, start, end, timezone, columns)  # this thread works too, not only waits
    return [first, *(future.result() for future in futures)]


def conversions(scope: TenantReportScope, start: dt.date, end: dt.date, timezone: str, *, page: int = 1,
                page_size: int = 50, status: str | None = None) -> Cached[ConversionPage]:
    """One page of the tenant's conversions of these days (of one `status` when given), newest first."""
    _check_days(start, end, LONGEST_REPORT_DAYS)
    zone(timezone)
    if status is not None and status not in CONVERSION_STATUSES:
        raise ValidationFailed(f"Unknown conversion status: {status}")
    if scope.filter.is_empty:
        return _nothing(ConversionPage(page=page, page_size=page_size))
    key = {"format": FORMAT, "start": start, "end": end, "timezone": timezone, "page": page, "page_size": page_size,
           "status": status, "filter": scope.filter.key()}

    def load() -> dict[str, Any]:
        body = conversions_body(start, end, timezone_id(timezone), scope.filter, status=status)
        answer = _everflow(lambda: get_reporting_client().conversions(body, page=page, page_size=page_size))
        return parse_conversions(answer, page=page, page_size=page_size).to_json()

    return _converted(get_report_cache().get("conversions", scope.tenant, key, load), ConversionPage.from_json)


def clicks(scope: TenantReportScope, start: dt.date, end: dt.date, timezone: str, *, page: int = 1,
           page_size: int = 50) -> Cached[ClickPage]:
    """One page of the tenant's raw clicks of these days (at most 14), newest first."""
    _check_days(start, end, LONGEST_CLICK_DAYS)
    zone(timezone)
    window = _click_window(scope, start, end, timezone)
    items = tuple(reversed(window.value.clicks))
    first = (page - 1) * page_size
    chosen = ClickPage(items[first:first + page_size], page, page_size, len(items), window.value.incomplete)
    return Cached(chosen, window.fetched_at, stale=window.stale, hit=window.hit)


def _click_window(scope: TenantReportScope, start: dt.date, end: dt.date, timezone: str) -> Cached[ClickList]:
    if scope.filter.is_empty:
        return _nothing(ClickList())
    key = {"format": FORMAT, "start": start, "end": end, "timezone": timezone, "filter": scope.filter.key()}

    def load() -> dict[str, Any]:
        first, last = dt.datetime.combine(start, dt.time()), dt.datetime.combine(end, dt.time(23, 59, 59))
        body = clicks_body(first, last, timezone_id(timezone), scope.filter)
        return parse_clicks(_everflow(lambda: get_reporting_client().clicks(body))).to_json()

    return _converted(get_report_cache().get("clicks", scope.tenant, key, load), ClickList.from_json)


def _check_entity(start: dt.date, end: dt.date, timezone: str, columns: Sequence[str]) -> None:
    zone(timezone)
    if not 1 <= len(columns) <= 10:
        raise ValidationFailed("A report has between 1 and 10 columns")
    times = [column for column in columns if column in TIME_COLUMNS]
    if len(times) > 1:
        raise ValidationFailed("A report has at most one time column")
    _check_days(start, end, LONGEST_HOURLY_DAYS if times == ["hour"] else LONGEST_REPORT_DAYS)


def _check_days(start: dt.date, end: dt.date, longest: int) -> None:
    if end < start:
        raise ValidationFailed("The end date must not be before the start date")
    if (end - start).days + 1 > longest:
        raise ValidationFailed(f"This report covers at most {longest} days")


def _nothing(value: T) -> Cached[T]:
    """The answer for a tenant that may see nothing: empty, and no Everflow call was made."""
    return Cached(value, time.time(), stale=False, hit=True)


def _converted(cached: Cached[Any], parse: Callable[[Any], R]) -> Cached[R]:
    return Cached(parse(cached.value), cached.fetched_at, stale=cached.stale, hit=cached.hit)


def _everflow(call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One Everflow call; its failures become ReportsUnavailable (the cache serves stale numbers instead)."""
    try:
        return call()
    except EverflowError as exc:
        if not exc.transient:  # a refused report body is our bug, not Everflow's mood
            log.error("Everflow refused a report request: %s", exc)
        raise ReportsUnavailable("Everflow reporting is unavailable; try again shortly.") from exc


@cache
def _executor() -> ThreadPoolExecutor:
    """Threads shared by the requests of this process for running Everflow reports side by side."""
    return ThreadPoolExecutor(max_workers=PARALLEL_REPORTS * 4, thread_name_prefix="everflow-report")


class _TimezoneCatalogue:
    """Everflow's zone catalogue, kept a day in this process and shared through the report cache."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._zones: dict[str, int] = {}
        self._read_at = -TIMEZONES_TTL_S

    def get(self) -> dict[str, int]:
        with self._lock:
            if time.monotonic() - self._read_at < TIMEZONES_TTL_S:
                return self._zones
        cached = get_report_cache().get("meta", "global", {"catalogue": "timezones"}, _load_timezones)
        with self._lock:
            self._zones, self._read_at = {str(k): int(v) for k, v in cached.value.items()}, time.monotonic()
            return self._zones


def _load_timezones() -> dict[str, int]:
    return parse_timezones(_everflow(lambda: get_reporting_client().timezones()))


@cache
def _catalogue() -> _TimezoneCatalogue:
    return _TimezoneCatalogue()


def _timezones() -> dict[str, int]:
    return _catalogue().get()


def forget_timezones() -> None:
    """Drop this process's copy of the zone catalogue (tests; a catalogue change at Everflow)."""
    _catalogue.cache_clear()
