"""Everflow reporting in our terms: tenant filters and their AND/OR shape, request bodies, and parsing
what the sandbox answers (run in-process here), including its hourly entity report."""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from werkzeug.test import Client

from shared.adapters.everflow.reporting import (
    ClickList,
    ConversionPage,
    Dimension,
    EntityReport,
    ReportFilter,
    clicks_body,
    conversions_body,
    entity_body,
    parse_clicks,
    parse_conversions,
    parse_entity,
    parse_metrics,
    parse_timezones,
)
from shared.adapters.everflow.sandbox_app import SandboxApp
from shared.adapters.everflow.sandbox_faults import Faults
from shared.adapters.everflow.sandbox_meta import TIMEZONES
from shared.adapters.everflow.sandbox_state import DEFAULT_API_KEY, SandboxConfig, SandboxState
from shared.domain.reporting import Metrics

TODAY = dt.date(2024, 3, 15)
NOW = calendar.timegm(dt.datetime(2024, 3, 15, 18, 0).timetuple())
WEEK = (dt.date(2024, 3, 9), dt.date(2024, 3, 15))
HEADERS = {"X-Eflow-API-Key": DEFAULT_API_KEY}


class Sandbox:
    """The sandbox's WSGI app in this process, its clock fixed at NOW."""

    def __init__(self) -> None:
        config = SandboxConfig(clock=lambda: NOW)
        self.client = Client(SandboxApp(config, SandboxState(config.clock, config.network_id),
                                        Faults(config.clock, config.nominal_rate_limit)))

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.client.post(path, json=body, headers=HEADERS)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def status(self, path: str, body: dict[str, Any]) -> int:
        return self.client.post(path, json=body, headers=HEADERS).status_code

    def advertiser(self, name: str) -> int:
        return self.post("/v1/networks/advertisers", {"name": name, "account_status": "active",
                                                      "network_employee_id": 1, "default_currency_id": "USD"}
                         )["network_advertiser_id"]

    def offer(self, advertiser_id: int, name: str, payout: dict[str, Any] | None = None) -> int:
        entry = payout or {"payout_type": "cpa", "payout_amount": 5.0, "revenue_type": "rpa", "revenue_amount": 8.0}
        return self.post("/v1/networks/offers", {
            "network_advertiser_id": advertiser_id, "name": name, "offer_status": "active",
            "destination_url": "https://shop.example/", "payout_revenue": [{**entry, "is_default": True}],
        })["network_offer_id"]

    def affiliate(self, name: str) -> int:
        return self.post("/v1/networks/affiliates", {"name": name})["network_affiliate_id"]


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    sandbox = Sandbox()
    acme = sandbox.advertiser("Acme")
    globex = sandbox.advertiser("Globex")
    sandbox.offer(acme, "Acme shoes")
    sandbox.offer(acme, "Acme socks", {"payout_type": "cpc", "payout_amount": 0.13, "revenue_type": "rpm",
                                       "revenue_amount": 2.37})
    sandbox.offer(globex, "Globex widgets")
    sandbox.affiliate("Publisher one")
    sandbox.affiliate("Publisher two")
    return sandbox


ACME, GLOBEX = ReportFilter(advertisers=frozenset({1})), ReportFilter(advertisers=frozenset({2}))


def round_trip(value: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(value))


def test_filters_of_one_type_are_or_ed_and_of_different_types_and_ed() -> None:
    where = ReportFilter(advertisers=frozenset({7, 3}), offers=frozenset({12}))
    assert where.query() == {"filters": [
        {"resource_type": "advertiser", "filter_id_value": "3"},
        {"resource_type": "advertiser", "filter_id_value": "7"},
        {"resource_type": "offer", "filter_id_value": "12"},
    ]}
    assert ReportFilter.unlimited().query() == {"filters": []}


def test_a_filter_without_ids_shows_nothing_unless_it_is_the_platforms() -> None:
    assert ReportFilter().is_empty
    assert not ReportFilter.unlimited().is_empty
    assert not ReportFilter(affiliates=frozenset({1})).is_empty


def test_an_empty_filter_never_becomes_a_request_body() -> None:
    for build in (lambda: entity_body(*WEEK, 67, ["offer"], ReportFilter()),
                  lambda: conversions_body(*WEEK, 67, ReportFilter()),
                  lambda: clicks_body(dt.datetime(2024, 3, 1), dt.datetime(2024, 3, 2), 67, ReportFilter())):
        with pytest.raises(ValueError, match="empty report filter"):
            build()


def test_narrowing_never_widens_a_filter() -> None:
    tenant = ReportFilter(advertisers=frozenset({1}), offers=frozenset({10, 11}))
    assert tenant.narrow(offers=[11, 99]) == ReportFilter(advertisers=frozenset({1}), offers=frozenset({11}))
    assert tenant.narrow(offers=[99]).is_empty
    assert tenant.narrow(offers=[]).is_empty
    assert tenant.narrow(affiliates=[5]) == ReportFilter(frozenset({1}), frozenset({5}), frozenset({10, 11}))
    assert tenant.narrow() == tenant
    assert ReportFilter().narrow(offers=[1]).is_empty  # nothing to see stays nothing
    assert ReportFilter.unlimited().narrow(offers=[4]) == ReportFilter(offers=frozenset({4}), everything=True)


def test_filter_keys_name_exactly_one_filter() -> None:
    assert ReportFilter(offers=frozenset({2, 1})).key() == ReportFilter(offers=frozenset({1, 2})).key()
    keys = {ReportFilter().key(), ReportFilter.unlimited().key(), ReportFilter(offers=frozenset({1})).key(),
            ReportFilter(affiliates=frozenset({1})).key(), ReportFilter(advertisers=frozenset({1})).key(),
            ReportFilter(advertisers=frozenset({1, 2})).key(), ReportFilter(advertisers=frozenset({12})).key()}
    assert len(keys) == 7


def test_an_entity_body_asks_for_whole_days_by_column_in_usd() -> None:
    assert entity_body(*WEEK, 80, ["offer", "date"], ACME) == {
        "from": "2024-03-09", "to": "2024-03-15", "timezone_id": 80, "currency_id": "USD",
        "columns": [{"column": "offer"}, {"column": "date"}],
        "query": {"filters": [{"resource_type": "advertiser", "filter_id_value": "1"}]},
    }


def test_conversion_and_click_bodies() -> None:
    assert conversions_body(*WEEK, 80, GLOBEX) == {
        "from": "2024-03-09", "to": "2024-03-15", "timezone_id": 80, "currency_id": "USD",
        "show_conversions": True, "show_events": False, "query": GLOBEX.query()}
    assert conversions_body(*WEEK, 80, GLOBEX, status="pending")["query"] == {"filters": [
        {"resource_type": "advertiser", "filter_id_value": "2"},
        {"resource_type": "status", "filter_id_value": "pending"}]}
    assert clicks_body(dt.datetime(2024, 3, 9), dt.datetime(2024, 3, 9, 23, 59, 59), 80, GLOBEX) == {
        "from": "2024-03-09 00:00:00", "to": "2024-03-09 23:59:59", "timezone_id": 80, "query": GLOBEX.query()}


def test_metrics_are_parsed_into_integer_cents() -> None:
    parsed = parse_metrics({"imp": 10, "total_click": 5, "unique_click": 4, "cv": 2, "revenue": 12.3,
                            "payout": 0.07, "cvr": 50.0})
    assert parsed == Metrics(10, 5, 4, 2, 1_230, 7)
    assert parse_metrics({}) == Metrics()


def test_an_entity_report_of_the_sandbox_is_parsed_and_survives_json(sandbox: Sandbox) -> None:
    body = sandbox.post("/v1/networks/reporting/entity", entity_body(*WEEK, 67, ["offer", "affiliate"], ACME))
    report = parse_entity(body, ["offer", "affiliate"])
    assert report.summary == parse_metrics(body["summary"])
    assert report.summary.clicks > 0
    assert {row.dims["offer"] for row in report.rows} == {Dimension("1", "Acme shoes"), Dimension("2", "Acme socks")}
    assert len(report.rows) == 4
    assert sum((row.metrics for row in report.rows), Metrics()) == report.summary
    assert EntityReport.from_json(round_trip(report.to_json())) == report


def test_a_table_nested_under_rows_and_a_cut_table_are_understood() -> None:
    row = {"columns": [{"column_type": "offer", "id": "5", "label": "Five"}], "reporting": {"total_click": 3}}
    report = parse_entity({"summary": {"total_click": 3}, "table": {"rows": [row]}, "incomplete_results": True},
                          ["offer"])
    assert report.rows[0].dims == {"offer": Dimension("5", "Five")}
    assert (report.rows[0].metrics.clicks, report.incomplete) == (3, True)
    assert parse_entity({}, ["offer"]) == EntityReport()


def test_the_sandbox_filters_by_advertiser(sandbox: Sandbox) -> None:
    acme = parse_entity(sandbox.post("/v1/networks/reporting/entity", entity_body(*WEEK, 67, ["offer"], ACME)),
                        ["offer"])
    globex = parse_entity(sandbox.post("/v1/networks/reporting/entity", entity_body(*WEEK, 67, ["offer"], GLOBEX)),
                          ["offer"])
    everyone = parse_entity(sandbox.post("/v1/networks/reporting/entity",
                                         entity_body(*WEEK, 67, ["offer"], ReportFilter.unlimited())), ["offer"])
    assert acme.summary + globex.summary == everyone.summary
    assert {row.dims["offer"].id for row in globex.rows} == {"3"}


def test_conversions_of_the_sandbox_are_parsed(sandbox: Sandbox) -> None:
    body = sandbox.client.post("/v1/networks/reporting/conversions?page=1&page_size=5",
                               json=conversions_body(*WEEK, 67, ACME), headers=HEADERS).get_json()
    page = parse_conversions(body, page=1, page_size=5)
    first = body["conversions"][0]
    assert (page.page, page.page_size, page.total) == (1, 5, body["paging"]["total_count"])
    assert len(page.conversions) == 5
    item = page.conversions[0]
    assert (item.conversion_id, item.unix) == (first["conversion_id"], first["conversion_unix_timestamp"])
    assert item.payout_cents == round(first["payout"] * 100)
    assert {entry.payout_cents for entry in page.conversions if entry.parties.offer.id == "1"} <= {500}
    assert item.parties.advertiser == Dimension("1", "Acme")
    assert item.parties.offer.id in {"1", "2"}
    assert item.country == first["country"]
    assert ConversionPage.from_json(round_trip(page.to_json())) == page


def test_clicks_of_the_sandbox_are_parsed(sandbox: Sandbox) -> None:
    body = sandbox.post("/v1/networks/reporting/clicks/stream",
                        clicks_body(dt.datetime(2024, 3, 14), dt.datetime(2024, 3, 14, 5, 59, 59), 67, GLOBEX))
    clicks = parse_clicks(body)
    assert len(clicks.clicks) == len(body["clicks"]) > 0
    assert not clicks.incomplete
    assert {item.parties.offer for item in clicks.clicks} == {Dimension("3", "Globex widgets")}
    assert clicks.clicks[0].transaction_id == body["clicks"][0]["transaction_id"]
    assert clicks.clicks[0].country == body["clicks"][0]["relationship"]["geolocation"]["country_name"]
    assert ClickList.from_json(round_trip(clicks.to_json())) == clicks
    assert parse_clicks({"table": body["clicks"][:2]}).clicks == clicks.clicks[:2]


def test_the_sandbox_lists_real_zones_with_stable_ids(sandbox: Sandbox) -> None:
    body = sandbox.client.get("/v1/meta/timezones", headers=HEADERS).get_json()
    zones = parse_timezones(body)
    assert zones["UTC"] == 67
    assert zones["America/New_York"] == 80
    assert len(zones) == len(TIMEZONES) >= 40
    assert len(set(zones.values())) == len(zones)
    for name in zones:
        ZoneInfo(name)


def test_the_timezone_catalogue_needs_the_api_key(sandbox: Sandbox) -> None:
    assert sandbox.client.get("/v1/meta/timezones").status_code == 401


def hourly(sandbox: Sandbox, start: dt.date, end: dt.date, where: ReportFilter) -> EntityReport:
    return parse_entity(sandbox.post("/v1/networks/reporting/entity", entity_body(start, end, 67, ["hour"], where)),
                        ["hour"])


def test_hours_of_a_day_add_up_to_that_day(sandbox: Sandbox) -> None:
    days = parse_entity(sandbox.post("/v1/networks/reporting/entity",
                                     entity_body(*WEEK, 67, ["date"], ReportFilter.unlimited())), ["date"])
    hours = hourly(sandbox, *WEEK, ReportFilter.unlimited())
    assert len(hours.rows) == 7 * 24
    assert hours.summary == days.summary
    for day in days.rows:
        start = int(day.dims["date"].id)
        inside = [row.metrics for row in hours.rows if start <= int(row.dims["hour"].id) < start + 86_400]
        assert len(inside) == 24
        assert sum(inside, Metrics()) == day.metrics  # cents included (cpc and rpm money is spread exactly)


def test_hour_rows_are_labelled_by_their_utc_hour(sandbox: Sandbox) -> None:
    hours = hourly(sandbox, TODAY, TODAY, ACME)
    assert hours.rows[0].dims["hour"] == Dimension(str(calendar.timegm(TODAY.timetuple())), "2024-03-15 00:00")
    assert hours.rows[13].dims["hour"].label == "2024-03-15 13:00"


def test_hourly_clicks_are_the_click_streams_clicks_of_that_hour(sandbox: Sandbox) -> None:
    day = dt.date(2024, 3, 14)
    hours = hourly(sandbox, day, day, GLOBEX)
    stream = parse_clicks(sandbox.post("/v1/networks/reporting/clicks/stream", clicks_body(
        dt.datetime.combine(day, dt.time()), dt.datetime.combine(day, dt.time(23, 59, 59)), 67, GLOBEX)))
    by_hour = Counter(item.unix - item.unix % 3_600 for item in stream.clicks)
    unique_by_hour = Counter(item.unix - item.unix % 3_600 for item in stream.clicks if item.is_unique)
    assert {int(row.dims["hour"].id): row.metrics.clicks for row in hours.rows} == {
        int(row.dims["hour"].id): by_hour[int(row.dims["hour"].id)] for row in hours.rows}
    assert all(row.metrics.unique_clicks == unique_by_hour[int(row.dims["hour"].id)] for row in hours.rows)


def test_hourly_conversions_are_counted_in_the_hour_they_happened(sandbox: Sandbox) -> None:
    day = dt.date(2024, 3, 13)
    hours = hourly(sandbox, day, day, ACME)
    body = sandbox.client.post("/v1/networks/reporting/conversions?page=1&page_size=500",
                               json=conversions_body(day, day, 67, ACME), headers=HEADERS).get_json()
    assert body["paging"]["total_count"] == len(body["conversions"]) == hours.summary.conversions
    by_hour = Counter(item["conversion_unix_timestamp"] // 3_600 * 3_600 for item in body["conversions"])
    assert {int(row.dims["hour"].id): row.metrics.conversions for row in hours.rows if row.metrics.conversions} \
        == dict(by_hour)


def test_hourly_reports_cover_at_most_fourteen_days(sandbox: Sandbox) -> None:
    body = entity_body(dt.date(2024, 3, 1), dt.date(2024, 3, 15), 67, ["hour"], ACME)
    assert sandbox.status("/v1/networks/reporting/entity", body) == 400
    assert sandbox.status("/v1/networks/reporting/entity", {**body, "from": "2024-03-02"}) == 200


def test_a_report_has_at_most_one_time_column(sandbox: Sandbox) -> None:
    body = entity_body(*WEEK, 67, ["hour", "date"], ACME)
    assert sandbox.status("/v1/networks/reporting/entity", body) == 400


def test_sub_ids_of_conversions_and_clicks_survive_parsing_and_the_cache() -> None:
    subs = {"source_id": "news", "sub1": "a", "sub2": "b", "sub3": "c", "sub4": "d", "sub5": "e"}
    conversion = parse_conversions({"conversions": [{"conversion_id": "x", **subs}], "paging": {}}, page=1,
                                   page_size=10).conversions[0]
    click = parse_clicks({"clicks": [{"transaction_id": "t", **subs}]}).clicks[0]
    for record in (conversion, click):
        assert {name: getattr(record, name) for name in subs} == subs
        assert type(record).from_json(record.to_json()) == record


def test_the_sandboxs_totals_add_every_count_of_a_day() -> None:
    import dataclasses

    from shared.adapters.everflow.sandbox_data import DayStats
    from shared.adapters.everflow.sandbox_metrics import Totals

    day = DayStats(**{field.name: index + 1 for index, field in enumerate(dataclasses.fields(DayStats))})
    totals = Totals()
    totals.add(day)
    totals.add(day)
    assert dataclasses.asdict(totals) == {name: 2 * value for name, value in dataclasses.asdict(day).items()}
