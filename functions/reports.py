"""reports-api: performance summaries, time series, daily rows, conversions and clicks, as JSON or CSV.

`format=csv` (or `Accept: text/csv`) downloads the whole result, not one page.
"""

from __future__ import annotations

from collections.abc import Sequence

import flask
import functions_framework

from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.reports import Report
from shared.http.csv import csv_response, filename, wants_csv
from shared.http.router import Call, Reply, Router
from shared.schemas.report_reads import (
    CLICK_COLUMNS,
    CONVERSION_COLUMNS,
    DAILY_COLUMNS,
    SUMMARY_COLUMNS,
    TIMESERIES_COLUMNS,
    ClickList,
    ConversionList,
    DailyPerformance,
    PerformanceSummary,
    PerformanceTimeseries,
    click_list,
    conversion_list,
    csv_rows,
    daily_performance,
    export_headers,
    page_headers,
    performance_summary,
    performance_timeseries,
)
from shared.schemas.reports import ClicksQuery, ConversionsQuery, DailyQuery, ReportQuery, SummaryQuery, TimeseriesQuery
from shared.services import reports as service

router = Router("reports-api", tag="Reports")
REPORTS = "/api/v1/reports"
CSV_NOTE = " (format=csv: the whole result as CSV)"
Answer = Reply | flask.Response


def _uow(call: Call) -> UnitOfWork:
    return UnitOfWork(call.actor.scope)


def _export(call: Call) -> bool:
    query: ReportQuery = call.query
    return wants_csv(call.request, query.format)


def _csv(report: Report, columns: Sequence[str], name: str) -> flask.Response:
    period = report.period
    return csv_response(columns, csv_rows(report.rows, columns), headers=export_headers(report),
                        name=filename(name, str(report.organization_id), period.start.isoformat(),
                                      period.end.isoformat()))


@router.route("GET", f"{REPORTS}/performance/summary", action="reports.read", query=SummaryQuery,
              response=PerformanceSummary, summary="Totals and per-campaign figures of a period" + CSV_NOTE)
def summary(call: Call) -> Answer:
    query: SummaryQuery = call.query
    export = _export(call)
    report = service.performance_summary(query.report_request(export=export), query.listing(), uow=_uow(call),
                                         actor=call.actor)
    return _csv(report, SUMMARY_COLUMNS, "performance-summary") if export else Reply(performance_summary(report))


@router.route("GET", f"{REPORTS}/performance/timeseries", action="reports.read", query=TimeseriesQuery,
              response=PerformanceTimeseries, summary="Figures per hour, day, week or month" + CSV_NOTE)
def timeseries(call: Call) -> Answer:
    query: TimeseriesQuery = call.query
    export = _export(call)
    report = service.performance_timeseries(query.report_request(export=export), query.granularity,
                                            uow=_uow(call), actor=call.actor)
    if export:
        return _csv(report, TIMESERIES_COLUMNS, f"performance-timeseries-{query.granularity.value}")
    return Reply(performance_timeseries(report, query.granularity))


@router.route("GET", f"{REPORTS}/performance/daily", action="reports.read", query=DailyQuery,
              response=DailyPerformance, summary="Figures per day and campaign, searched, sorted, paged" + CSV_NOTE)
def daily(call: Call) -> Answer:
    query: DailyQuery = call.query
    export, listing = _export(call), query.listing(get_settings().max_page_size)
    report = service.performance_daily(query.report_request(export=export, search=query.search), listing,
                                       uow=_uow(call), actor=call.actor)
    if export:
        return _csv(report, DAILY_COLUMNS, "performance-daily")
    return Reply(daily_performance(report, listing), headers=page_headers(report, listing))


@router.route("GET", f"{REPORTS}/conversions", action="reports.read", query=ConversionsQuery,
              response=ConversionList, summary="Everflow conversions, filtered, sorted, paged" + CSV_NOTE)
def conversions(call: Call) -> Answer:
    query: ConversionsQuery = call.query
    export, listing = _export(call), query.listing(get_settings().max_page_size)
    request = query.report_request(export=export, search=query.search, status=query.status)
    report = service.list_conversions(request, listing, uow=_uow(call), actor=call.actor)
    if export:
        return _csv(report, CONVERSION_COLUMNS, "conversions")
    return Reply(conversion_list(report, listing), headers=page_headers(report, listing))


@router.route("GET", f"{REPORTS}/clicks", action="reports.read", query=ClicksQuery, response=ClickList,
              summary="Raw clicks of at most 14 days, sorted, paged" + CSV_NOTE)
def clicks(call: Call) -> Answer:
    query: ClicksQuery = call.query
    export, listing = _export(call), query.listing(get_settings().max_page_size)
    report = service.list_clicks(query.report_request(export=export, search=query.search), listing,
                                 uow=_uow(call), actor=call.actor)
    if export:
        return _csv(report, CLICK_COLUMNS, "clicks")
    return Reply(click_list(report, listing), headers=page_headers(report, listing))


@functions_framework.http
def reports_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
