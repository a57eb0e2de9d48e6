"""The reports API over HTTP against the Everflow sandbox: each tenant's numbers and records equal what the
sandbox itself holds for that tenant, sorted and paged as asked, as JSON or CSV; Everflow calls are counted."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from shared.adapters.everflow.client import get_everflow_client
from shared.adapters.everflow.reporting import ReportFilter, clicks_body, conversions_body, entity_body
from shared.adapters.everflow.sandbox import SandboxServer
from shared.caching import reset_report_cache
from shared.config import get_settings
from shared.domain.roles import Role
from shared.services import reports as report_service
from tests.reporting_rows import (
    AdvertiserOrg,
    AffiliateOrg,
    entity_report,
    sandbox_client,
    synced_advertiser_org,
    synced_affiliate_org,
)
from tests.tracking_link_rows import add_partnership

REPORTS = "/api/v1/reports"
UTC_ID = 67
ENTITY = "POST /v1/networks/reporting/entity"
CONVERSIONS = "POST /v1/networks/reporting/conversions"
CLICKS = "POST /v1/networks/reporting/clicks/stream"


@dataclass(frozen=True)
class Network:
    """Two advertisers and two publishers on one sandbox network, with a manager each; Acme and Publisher
    are partners (each may name the other's entities), every other pair is not."""

    acme: AdvertiserOrg
    globex: AdvertiserOrg
    publisher: AffiliateOrg
    partner: AffiliateOrg
    users: dict[str, Any]

    def advertiser(self, name: str) -> AdvertiserOrg:
        return {"acme": self.acme, "globex": self.globex}[name]


@pytest.fixture
def network(sql, make_org, make_user, sandbox) -> Network:
    acme = synced_advertiser_org(sql, make_org, sandbox, "Acme", campaigns=2)
    globex = synced_advertiser_org(sql, make_org, sandbox, "Globex", campaigns=3, payout=3.0, revenue=4.5)
    publisher = synced_affiliate_org(sql, make_org, sandbox, "Publisher")
    partner = synced_affiliate_org(sql, make_org, sandbox, "Partner")
    add_partnership(sql, acme.organization_id, publisher.organization_id)
    users = {"acme": make_user(Role.ADVERTISER_MANAGER, acme.organization_id),
             "globex": make_user(Role.ADVERTISER_MANAGER, globex.organization_id),
             "publisher": make_user(Role.AFFILIATE_MANAGER, publisher.organization_id),
             "admin": make_user(Role.ADMIN, make_org("platform_owner"))}
    return Network(acme, globex, publisher, partner, users)


@pytest.fixture
def week() -> tuple[dt.date, dt.date]:
    today = dt.datetime.now(dt.UTC).date()
    return today - dt.timedelta(days=6), today


def dates(start: dt.date, end: dt.date, **params: Any) -> dict[str, Any]:
    return {"startDate": start.isoformat(), "endDate": end.isoformat(), **params}


def get(api, user, route: str, params: dict[str, Any], status: int = 200) -> requests.Response:
    response = api.get(f"{REPORTS}/{route}", params=params, headers=user.headers)
    assert response.status_code == status, response.text
    return response


def calls(sandbox: SandboxServer) -> dict[str, int]:
    counted = requests.get(f"{sandbox.base_url}/__sandbox/calls", timeout=5).json()["by_endpoint"]
    return {name: counted.get(name, 0) for name in (ENTITY, CONVERSIONS, CLICKS)}


def advertiser_filter(org: AdvertiserOrg) -> ReportFilter:
    return ReportFilter(advertisers=frozenset({org.everflow_advertiser_id}))


def figures(reporting: dict[str, Any]) -> dict[str, Any]:
    """What our reports show for one of the sandbox's metrics objects."""
    clicks, unique, cv, imp = (reporting[k] for k in ("total_click", "unique_click", "cv", "imp"))
    revenue, payout = reporting["revenue"], reporting["payout"]
    return {"impressions": imp, "clicks": clicks, "unique_clicks": unique, "conversions": cv, "revenue": revenue,
            "payout": payout, "profit": reporting["profit"],
            "conversion_rate": round(cv * 100 / unique, 2) if unique else 0.0,
            "average_revenue": round(revenue / cv, 2) if cv else 0.0,
            "ctr": round(clicks * 100 / imp, 2) if imp else 0.0,
            "epc": round(payout / unique, 4) if unique else 0.0}


def sandbox_entity(sandbox, start, end, columns: list[str], where: ReportFilter) -> dict[str, Any]:
    return entity_report(sandbox, entity_body(start, end, UTC_ID, columns, where))


def sandbox_conversions(sandbox, start, end, where: ReportFilter) -> list[dict[str, Any]]:
    client = sandbox_client(sandbox)
    try:
        return client.conversions(conversions_body(start, end, UTC_ID, where), page=1, page_size=2000)["conversions"]
    finally:
        client.close()


def sandbox_clicks(sandbox, start, end, where: ReportFilter) -> list[dict[str, Any]]:
    client = sandbox_client(sandbox)
    try:
        body = clicks_body(dt.datetime.combine(start, dt.time()), dt.datetime.combine(end, dt.time(23, 59, 59)),
                           UTC_ID, where)
        return client.clicks(body)["clicks"]
    finally:
        client.close()


def point_figures(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in point.items() if k != "period"} for point in points]


def cell(value: Any) -> str:
    """A JSON value as the CSV writes it."""
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def read_csv(response: requests.Response) -> list[dict[str, str]]:
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="')
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))


# --- performance ---------------------------------------------------------------------------------------


def test_summary_totals_and_campaign_rows_equal_the_sandboxs_report_for_the_tenant(api, network, sandbox, week):
    body = get(api, network.users["acme"], "performance/summary", dates(*week)).json()
    expected = sandbox_entity(sandbox, *week, ["offer"], advertiser_filter(network.acme))
    assert body["organization_id"] == network.acme.organization_id
    assert body["period"] == {"start_date": week[0].isoformat(), "end_date": week[1].isoformat(),
                              "timezone": "UTC", "days": 7}
    assert body["totals"] == figures(expected["summary"]) and body["totals"]["clicks"] > 0
    offers = {int(row["columns"][0]["id"]): figures(row["reporting"]) for row in expected["table"]}
    campaigns = {row["campaign_id"]: row for row in body["campaigns"]}
    assert set(campaigns) == set(network.acme.campaigns)
    for campaign_id, offer_id in network.acme.campaigns.items():
        row = campaigns[campaign_id]
        assert row["everflow_offer_id"] == offer_id and row["campaign_name"].startswith("Acme offer")
        assert {k: v for k, v in row.items() if k in offers[offer_id]} == offers[offer_id]
    revenues = [row["revenue"] for row in body["campaigns"]]
    assert revenues == sorted(revenues, reverse=True)  # default: revenue, highest first
    assert body["meta"]["cache"] == "miss" and body["meta"]["stale"] is False


def test_two_advertisers_on_one_network_see_only_their_own_numbers_and_records(api, network, sandbox, week):
    for name in ("acme", "globex"):
        org, user = network.advertiser(name), network.users[name]
        totals = get(api, user, "performance/summary", dates(*week)).json()["totals"]
        assert totals == figures(sandbox_entity(sandbox, *week, ["offer"], advertiser_filter(org))["summary"])
        conversions = get(api, user, "conversions", dates(*week, limit=100)).json()
        assert conversions["pagination"]["total"] == len(sandbox_conversions(sandbox, *week, advertiser_filter(org)))
        assert {row["campaign_id"] for row in conversions["data"]} == set(org.campaigns)
        clicks = get(api, user, "clicks", dates(week[1], week[1], limit=100)).json()
        assert clicks["pagination"]["total"] == len(sandbox_clicks(sandbox, week[1], week[1], advertiser_filter(org)))
        assert {row["everflow_offer_id"] for row in clicks["data"]} <= org.offer_ids
    acme = get(api, network.users["acme"], "performance/summary", dates(*week)).json()["totals"]
    globex = get(api, network.users["globex"], "performance/summary", dates(*week)).json()["totals"]
    assert acme != globex


@pytest.mark.parametrize(("granularity", "column"), [("daily", "date"), ("weekly", "week"), ("monthly", "month")])
def test_timeseries_points_equal_the_sandboxs_report_by_that_time_column(
        api, network, sandbox, week, granularity, column):
    body = get(api, network.users["acme"], "performance/timeseries", dates(*week, granularity=granularity)).json()
    expected = sandbox_entity(sandbox, *week, [column], advertiser_filter(network.acme))
    rows = sorted(expected["table"], key=lambda row: int(row["columns"][0]["id"]))
    assert [point["period"] for point in body["points"]] == [row["columns"][0]["label"] for row in rows]
    assert point_figures(body["points"]) == [figures(row["reporting"]) for row in rows]
    assert body["totals"] == figures(expected["summary"]) and body["granularity"] == granularity


def test_hourly_points_cover_one_day_and_add_up_to_its_totals(api, network, sandbox, week):
    yesterday = week[1] - dt.timedelta(days=1)
    body = get(api, network.users["acme"], "performance/timeseries",
               dates(yesterday, yesterday, granularity="hourly")).json()
    expected = sandbox_entity(sandbox, yesterday, yesterday, ["hour"], advertiser_filter(network.acme))
    rows = sorted(expected["table"], key=lambda row: int(row["columns"][0]["id"]))
    assert len(body["points"]) == len(rows) == 24
    assert point_figures(body["points"]) == [figures(row["reporting"]) for row in rows]
    assert sum(point["clicks"] for point in body["points"]) == body["totals"]["clicks"]


def test_daily_rows_equal_the_sandboxs_date_by_offer_report_searched_sorted_and_paged(api, network, sandbox, week):
    user = network.users["globex"]
    expected = sandbox_entity(sandbox, *week, ["date", "offer"], advertiser_filter(network.globex))
    by_key = {(row["columns"][0]["label"], int(row["columns"][1]["id"])): figures(row["reporting"])
              for row in expected["table"]}
    body = get(api, user, "performance/daily", dates(*week, limit=100)).json()
    assert body["pagination"] == {"page": 1, "limit": 100, "total": 21, "total_pages": 1}
    for row in body["data"]:
        assert {k: v for k, v in row.items() if k in PERFORMANCE} == by_key[(row["date"], row["everflow_offer_id"])]
    assert [row["date"] for row in body["data"]] == sorted((row["date"] for row in body["data"]), reverse=True)
    offer_2 = get(api, user, "performance/daily", dates(*week, search="OFFER 2", limit=100)).json()
    assert offer_2["pagination"]["total"] == 7 and {row["campaign_name"] for row in offer_2["data"]} == {
        "Globex offer 2"}
    pages = [get(api, user, "performance/daily", dates(*week, sortBy="clicks", sortOrder="asc", page=page,
                                                        pageSize=8)) for page in (1, 2, 3)]
    clicks = [row["clicks"] for page in pages for row in page.json()["data"]]
    assert clicks == sorted(value["clicks"] for value in by_key.values())
    assert pages[2].headers["X-Total-Count"] == "21" and pages[2].headers["X-Total-Pages"] == "3"
    assert len(pages[2].json()["data"]) == 5


PERFORMANCE = frozenset(figures({"total_click": 0, "unique_click": 0, "cv": 0, "imp": 0, "revenue": 0, "payout": 0,
                                 "profit": 0}))


def test_a_repeated_report_is_served_from_the_cache_without_calling_everflow(api, network, sandbox, week):
    user = network.users["acme"]
    for route, params in (("performance/summary", dates(*week)), ("performance/timeseries", dates(*week)),
                          ("performance/daily", dates(*week)), ("conversions", dates(*week)),
                          ("clicks", dates(week[1], week[1]))):
        before = calls(sandbox)
        cold = get(api, user, route, params).json()
        middle = calls(sandbox)
        warm = get(api, user, route, params).json()
        assert sum(middle.values()) - sum(before.values()) == 1, route  # one Everflow call, cold
        assert calls(sandbox) == middle, route  # none, warm
        assert (cold["meta"]["cache"], warm["meta"]["cache"]) == ("miss", "hit")
        assert warm["meta"]["as_of"] == cold["meta"]["as_of"]


# --- conversions and clicks ----------------------------------------------------------------------------


def test_conversions_newest_first_are_paged_by_everflow_one_call_per_page(api, network, sandbox, week):
    user = network.users["acme"]
    expected = sandbox_conversions(sandbox, *week, advertiser_filter(network.acme))
    assert len(expected) > 10
    before = calls(sandbox)[CONVERSIONS]
    first = get(api, user, "conversions", dates(*week, limit=5))
    second = get(api, user, "conversions", dates(*week, limit=5, page=2)).json()
    assert calls(sandbox)[CONVERSIONS] - before == 2
    ids = [row["conversion_id"] for row in first.json()["data"] + second["data"]]
    assert ids == [item["conversion_id"] for item in expected[:10]]
    assert first.json()["pagination"] == {"page": 1, "limit": 5, "total": len(expected),
                                          "total_pages": -(-len(expected) // 5)}
    assert first.headers["X-Total-Count"] == str(len(expected))
    row, record = first.json()["data"][0], expected[0]
    assert row["campaign_id"] in network.acme.campaigns and row["everflow_offer_id"] == int(
        record["relationship"]["offer"]["network_offer_id"])
    partners = {"Publisher": network.publisher.affiliate_id, "Partner": None}  # Partner is not Acme's partner
    assert row["affiliate_id"] == partners[row["affiliate_name"]]
    assert (row["payout"], row["revenue"], row["sale_amount"], row["currency"], row["status"]) == (
        record["payout"], record["revenue"], record["sale_amount"], record["currency_id"], "approved")
    assert (row["country"], row["device"]) == (record["country"], record["device_type"])
    assert dt.datetime.fromisoformat(row["conversion_time"]).timestamp() == record["conversion_unix_timestamp"]


def test_conversions_in_another_order_are_read_in_bulk_and_sorted_here(api, network, sandbox, week, monkeypatch):
    monkeypatch.setattr(report_service, "FETCH_PAGE_SIZE", 25)
    user = network.users["acme"]
    expected = sandbox_conversions(sandbox, *week, advertiser_filter(network.acme))
    ordered = sorted(sorted(expected, key=lambda c: (c["conversion_unix_timestamp"], c["conversion_id"])),
                     key=lambda c: c["sale_amount"])
    before = calls(sandbox)[CONVERSIONS]
    body = get(api, user, "conversions", dates(*week, sortBy="sale_amount", sortOrder="asc", limit=7, page=2)).json()
    assert calls(sandbox)[CONVERSIONS] - before == -(-len(expected) // 25)
    assert [row["conversion_id"] for row in body["data"]] == [c["conversion_id"] for c in ordered[7:14]]
    assert body["pagination"]["total"] == len(expected) and body["meta"]["truncated"] is False
    again = calls(sandbox)[CONVERSIONS]
    get(api, user, "conversions", dates(*week, sortBy="sale_amount", sortOrder="desc", page=3))
    assert calls(sandbox)[CONVERSIONS] == again  # the same bulk pages, from the cache


def test_conversions_past_the_sort_cap_are_flagged_truncated(api, network, sandbox, week, monkeypatch):
    monkeypatch.setattr(report_service, "FETCH_PAGE_SIZE", 10)
    monkeypatch.setattr(report_service, "SORT_FETCH_LIMIT", 20)
    before = calls(sandbox)[CONVERSIONS]
    body = get(api, network.users["acme"], "conversions", dates(*week, sortBy="payout", limit=100)).json()
    assert calls(sandbox)[CONVERSIONS] - before == 2
    assert body["meta"]["truncated"] is True and body["pagination"]["total"] == 20


def test_conversions_filtered_by_status_in_everflow_and_searched_here(api, network, sandbox, week):
    user = network.users["acme"]
    total = len(sandbox_conversions(sandbox, *week, advertiser_filter(network.acme)))
    before = calls(sandbox)[CONVERSIONS]
    approved = get(api, user, "conversions", dates(*week, status="approved")).json()
    assert approved["pagination"]["total"] == total  # the sandbox approves every conversion
    assert get(api, user, "conversions", dates(*week, status="rejected")).json()["pagination"]["total"] == 0
    assert calls(sandbox)[CONVERSIONS] - before == 2  # one page each, paged by Everflow
    partner = get(api, user, "conversions", dates(*week, search="partner", limit=100)).json()
    assert partner["data"] and {row["affiliate_name"] for row in partner["data"]} == {"Partner"}
    capped = get(api, user, "conversions", dates(*week, limit=500)).json()
    assert capped["pagination"]["limit"] == 100  # MAX_PAGE_SIZE


def test_clicks_equal_the_sandboxs_click_stream_newest_first_sorted_and_paged(api, network, sandbox, week):
    user, day = network.users["publisher"], week[1] - dt.timedelta(days=1)
    where = ReportFilter(affiliates=frozenset({network.publisher.everflow_affiliate_id}))
    expected = sandbox_clicks(sandbox, day, day, where)
    newest = sorted(sorted(expected, key=lambda c: (c["unix_timestamp"], c["transaction_id"])),
                    key=lambda c: c["unix_timestamp"], reverse=True)
    before = calls(sandbox)[CLICKS]
    body = get(api, user, "clicks", dates(day, day, limit=20, page=3)).json()
    assert [row["transaction_id"] for row in body["data"]] == [c["transaction_id"] for c in newest[40:60]]
    assert body["pagination"]["total"] == len(expected) and body["meta"]["truncated"] is False
    row = body["data"][0]
    record = next(c for c in expected if c["transaction_id"] == row["transaction_id"])
    assert (row["affiliate_id"], row["affiliate_name"]) == (network.publisher.affiliate_id, "Publisher")
    campaigns = {offer: campaign for campaign, offer in network.acme.campaigns.items()}  # Acme is a partner
    assert row["campaign_id"] == campaigns.get(row["everflow_offer_id"])
    assert row["campaign_name"] == record["relationship"]["offer"]["name"]
    assert {row["campaign_id"] is None for row in body["data"]} == {True, False}  # Globex is not
    assert row["is_unique"] is record["is_unique"]
    assert row["country"] == record["relationship"]["geolocation"]["country_name"]
    assert row["device"] == record["relationship"]["device_information"]["device_type"]
    by_country = get(api, user, "clicks", dates(day, day, sortBy="country", sortOrder="asc", limit=100)).json()
    countries = [row["country"] for row in by_country["data"]]
    assert countries == sorted(countries, key=str.casefold)
    assert calls(sandbox)[CLICKS] - before == 1  # one window, one stream call


def test_campaign_and_affiliate_filters_narrow_the_numbers_to_those_entities(api, network, sandbox, week):
    campaign_id, offer_id = next(iter(network.acme.campaigns.items()))
    body = get(api, network.users["acme"], "performance/summary", dates(*week, campaignIds=str(campaign_id))).json()
    where = advertiser_filter(network.acme).narrow(offers=[offer_id])
    assert body["totals"] == figures(sandbox_entity(sandbox, *week, ["offer"], where)["summary"])
    assert [row["campaign_id"] for row in body["campaigns"]] == [campaign_id]
    publisher = ReportFilter(affiliates=frozenset({network.publisher.everflow_affiliate_id}))
    mine = get(api, network.users["publisher"], "performance/summary",
               dates(*week, affiliateId=network.publisher.affiliate_id)).json()
    assert mine["totals"] == figures(sandbox_entity(sandbox, *week, ["offer"], publisher)["summary"])
    assert {row["everflow_offer_id"] for row in mine["campaigns"]} == network.acme.offer_ids | network.globex.offer_ids


def test_partners_narrow_by_each_others_entities_but_never_see_more_than_their_own(api, network, sandbox, week):
    acme_publisher = advertiser_filter(network.acme).narrow(affiliates=[network.publisher.everflow_affiliate_id])
    body = get(api, network.users["acme"], "performance/summary",
               dates(*week, affiliateId=network.publisher.affiliate_id)).json()
    assert body["totals"] == figures(sandbox_entity(sandbox, *week, ["offer"], acme_publisher)["summary"])
    campaign_id, offer_id = next(iter(network.acme.campaigns.items()))
    body = get(api, network.users["publisher"], "conversions", dates(*week, campaignIds=campaign_id, limit=100)).json()
    where = ReportFilter(affiliates=frozenset({network.publisher.everflow_affiliate_id}), offers=frozenset({offer_id}))
    assert [row["conversion_id"] for row in body["data"]] == [
        item["conversion_id"] for item in sandbox_conversions(sandbox, *week, where)][:100]
    assert {(row["campaign_id"], row["affiliate_id"]) for row in body["data"]} == {
        (campaign_id, network.publisher.affiliate_id)}


def test_admins_report_on_the_organization_they_name_and_their_platform_sees_everything(api, network, sandbox, week):
    admin = network.users["admin"]
    named = get(api, admin, "performance/summary", dates(*week, organizationId=network.globex.organization_id)).json()
    assert named["organization_id"] == network.globex.organization_id
    assert named["totals"] == figures(sandbox_entity(sandbox, *week, ["offer"], advertiser_filter(network.globex))[
        "summary"])
    everything = get(api, admin, "performance/summary", dates(*week)).json()
    assert everything["totals"] == figures(sandbox_entity(sandbox, *week, ["offer"], ReportFilter.unlimited())[
        "summary"])
    assert len(everything["campaigns"]) == 5


def test_an_organization_without_synced_entities_gets_empty_reports_and_everflow_is_never_asked(
        api, make_org, make_user, sandbox, week):
    user = make_user(Role.ADVERTISER_MANAGER, make_org("advertiser"))
    for route, key in (("performance/summary", "campaigns"), ("performance/timeseries", "points"),
                       ("performance/daily", "data"), ("conversions", "data"), ("clicks", "data")):
        params = dates(week[1], week[1]) if route == "clicks" else dates(*week)
        body = get(api, user, route, params).json()
        assert body[key] == [] and body["meta"]["cache"] == "none", route
    assert requests.get(f"{sandbox.base_url}/__sandbox/calls", timeout=5).json()["total"] == 0


# --- validation and tenancy ----------------------------------------------------------------------------


@pytest.mark.parametrize(("route", "params", "field"), [
    ("performance/summary", {"endDate": "2024-05-01"}, "startDate"),
    ("performance/summary", {"startDate": "2024-05-01"}, "endDate"),
    ("performance/daily", {"startDate": "2024-05-02", "endDate": "2024-05-01"}, "endDate"),
    ("conversions", {"startDate": "2023-05-01", "endDate": "2024-04-30"}, "endDate"),
    ("performance/summary", {"startDate": "2024-05-01", "endDate": "2024-05-01", "timezone": "Mars/Olympus"},
     "timezone"),
    ("performance/timeseries", {"startDate": "2024-05-01", "endDate": "2024-05-01", "granularity": "yearly"},
     "granularity"),
    ("performance/timeseries", {"startDate": "2024-05-01", "endDate": "2024-05-15", "granularity": "hourly"},
     "granularity"),
    ("performance/daily", {"startDate": "2024-05-01", "endDate": "2024-05-01", "sortBy": "secret"}, "sortBy"),
    ("conversions", {"startDate": "2024-05-01", "endDate": "2024-05-01", "sortBy": "date"}, "sortBy"),
    ("conversions", {"startDate": "2024-05-01", "endDate": "2024-05-01", "status": "lost"}, "status"),
    ("clicks", {"startDate": "2024-05-01", "endDate": "2024-05-15"}, "endDate"),
    ("clicks", {"startDate": "2024-05-01", "endDate": "2024-05-01", "sortOrder": "sideways"}, "sortOrder"),
    ("performance/summary", {"startDate": "2024-05-01", "endDate": "2024-05-01", "campaignIds": "1,x"},
     "campaignIds.1"),
])
def test_invalid_parameters_are_a_422_naming_the_field_and_nothing_reaches_everflow(
        api, network, sandbox, route, params, field):
    before = calls(sandbox)
    error = get(api, network.users["acme"], route, params, status=422).json()["error"]
    assert error["code"] == "validation_failed"
    assert field in [detail["field"] for detail in error["details"]], error
    assert calls(sandbox) == before


def test_a_year_of_365_days_is_accepted_and_snake_case_names_work_too(api, network, sandbox):
    end = dt.datetime.now(dt.UTC).date()
    body = get(api, network.users["acme"], "performance/summary",
               {"start_date": (end - dt.timedelta(days=364)).isoformat(), "end_date": end.isoformat()}).json()
    assert body["period"]["days"] == 365


def test_another_tenants_campaign_or_affiliate_is_a_422_naming_it_and_its_organization_a_404(
        api, network, sandbox, week):
    user, foreign = network.users["acme"], next(iter(network.globex.campaigns))
    own = next(iter(network.acme.campaigns))
    before = calls(sandbox)
    error = get(api, user, "conversions", dates(*week, campaignIds=f"{own},{foreign}"), status=422).json()["error"]
    assert str(foreign) in error["message"] and str(own) not in error["message"]
    assert error["details"][0]["field"] == "campaignIds"
    error = get(api, user, "clicks", dates(week[1], week[1], affiliateId=network.partner.affiliate_id),
                status=422).json()["error"]  # an affiliate, but not of a partner of Acme's
    assert str(network.partner.affiliate_id) in error["message"]
    error = get(api, network.users["publisher"], "performance/daily", dates(*week, campaignIds=foreign),
                status=422).json()["error"]  # a campaign, but of an advertiser that is no partner
    assert str(foreign) in error["message"]
    get(api, user, "performance/summary", dates(*week, organizationId=network.globex.organization_id), status=404)
    assert calls(sandbox) == before


# --- CSV -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("route", "header", "key"), [
    ("performance/summary", "campaign_id,campaign_name,everflow_offer_id,impressions,clicks", "campaigns"),
    ("performance/timeseries", "period,impressions,clicks", "points"),
    ("performance/daily", "date,campaign_id,campaign_name,everflow_offer_id,impressions", "data"),
    ("conversions", "conversion_id,conversion_time,click_time,transaction_id,status,campaign_id", "data"),
    ("clicks", "transaction_id,click_time,is_unique,campaign_id", "data"),
])
def test_every_route_exports_its_whole_result_as_csv(api, network, sandbox, week, route, header, key):
    user = network.users["acme"]
    params = dates(week[1], week[1]) if route == "clicks" else dates(*week)
    body = get(api, user, route, params | {"limit": 100}).json()
    total = body["pagination"]["total"] if "pagination" in body else len(body[key])
    response = get(api, user, route, params | {"format": "csv", "limit": 5})
    rows = read_csv(response)
    assert response.content.decode().startswith(header)
    assert len(rows) == total == int(response.headers["X-Total-Count"]) > 0
    assert total > 5 or "pagination" not in body  # all rows, not a page
    assert response.headers["X-Report-Stale"] == "false"
    first = body[key][0] if route != "clicks" else next(r for r in body[key] if r["transaction_id"] == rows[0][
        "transaction_id"])
    for name, value in rows[0].items():
        assert value == cell(first[name]) or dt.datetime.fromisoformat(value) == dt.datetime.fromisoformat(
            first[name]), name
    assert route.split("/")[-1] in response.headers["Content-Disposition"]


def test_accept_text_csv_exports_too(api, network, sandbox, week):
    response = api.get(f"{REPORTS}/performance/summary", params=dates(*week),
                       headers=network.users["acme"].headers | {"Accept": "text/csv"})
    assert response.status_code == 200 and len(read_csv(response)) == 2


def test_csv_quotes_commas_and_quotes_and_guards_formulas(api, sql, make_org, make_user, sandbox, week):
    org = synced_advertiser_org(sql, make_org, sandbox, '=HYPERLINK("x"), Inc', campaigns=1)
    synced_affiliate_org(sql, make_org, sandbox)
    user = make_user(Role.ADVERTISER_MANAGER, org.organization_id)
    response = get(api, user, "performance/summary", dates(*week, format="csv"))
    assert '"\'=HYPERLINK(""x""), Inc offer 1"' in response.content.decode()
    assert read_csv(response)[0]["campaign_name"] == "'=HYPERLINK(\"x\"), Inc offer 1"


def test_an_export_past_the_row_cap_is_refused_clearly(api, network, sandbox, week, monkeypatch):
    monkeypatch.setattr(report_service, "EXPORT_ROW_LIMIT", 10)
    for route in ("performance/daily", "conversions"):
        error = get(api, network.users["acme"], route, dates(*week, format="csv"), status=422).json()["error"]
        assert "more than the 10 a CSV may hold" in error["message"], route


# --- Everflow down -------------------------------------------------------------------------------------


@pytest.fixture
def short_ttl(monkeypatch) -> None:
    """A 1-second report TTL and no retries, so a test sees an old value and a failing Everflow quickly."""
    monkeypatch.setenv("REPORT_CACHE_TTL_S", "1")
    monkeypatch.setenv("EVERFLOW_MAX_RETRIES", "0")
    get_settings.cache_clear()
    get_everflow_client.cache_clear()
    reset_report_cache()


def test_everflow_down_serves_the_cached_numbers_flagged_stale_with_their_age(
        api, network, sandbox, week, short_ttl):
    user = network.users["acme"]
    fresh = get(api, user, "performance/summary", dates(*week)).json()
    sandbox.faults.set(error_rate=1.0)
    time.sleep(2.2)  # past twice the TTL: the value must be fetched again, and Everflow fails
    stale = get(api, user, "performance/summary", dates(*week)).json()
    assert stale["totals"] == fresh["totals"]
    assert stale["meta"]["stale"] is True and stale["meta"]["age_seconds"] >= 2
    assert stale["meta"]["as_of"] == fresh["meta"]["as_of"]
    export = get(api, user, "performance/summary", dates(*week, format="csv"))
    assert export.headers["X-Report-Stale"] == "true"


def test_everflow_down_with_nothing_cached_is_a_503(api, network, sandbox, week, short_ttl):
    sandbox.faults.set(error_rate=1.0)
    for route in ("performance/summary", "conversions"):
        error = get(api, network.users["acme"], route, dates(*week), status=503).json()["error"]
        assert error["code"] == "everflow_unavailable", route
