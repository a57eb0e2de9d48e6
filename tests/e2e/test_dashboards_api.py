"""The dashboard API over HTTP against the Everflow sandbox: each tenant's own numbers, exactly as the sandbox
reports them; two Everflow calls for a cold dashboard and none for a warm one; stale figures while Everflow
is down; database figures for the platform."""

from __future__ import annotations

import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from shared.adapters.everflow.client import get_reporting_client
from shared.adapters.everflow.reporting import EntityReport, ReportFilter, entity_body, parse_entity
from shared.adapters.everflow.sandbox import SandboxServer
from shared.caching import reset_report_cache
from shared.config import get_settings
from shared.domain.reporting import Metrics, total
from shared.domain.roles import Role
from shared.events.publisher import local_bus
from shared.services import everflow_reports
from tests.reporting_rows import AdvertiserOrg, AffiliateOrg, entity_report, synced_advertiser_org, synced_affiliate_org
from tests.tracking_link_rows import Partners, add_link, add_partnership

UTC_ID = 67
DASHBOARD = "/api/v1/dashboard"
ENTITY_CALLS = ("POST /v1/networks/reporting/entity", "POST /v1/networks/reporting/entity/table")


@pytest.fixture
def acme(sql, make_org, sandbox) -> AdvertiserOrg:
    return synced_advertiser_org(sql, make_org, sandbox, "Acme", campaigns=2)


@pytest.fixture
def publisher(sql, make_org, sandbox) -> AffiliateOrg:
    return synced_affiliate_org(sql, make_org, sandbox, "Publisher")


@pytest.fixture
def acme_manager(make_user, acme):
    return make_user(Role.ADVERTISER_MANAGER, acme.organization_id)


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def last_days(days: int) -> tuple[dt.date, dt.date]:
    return today() - dt.timedelta(days=days - 1), today()


def before(period: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    length = (period[1] - period[0]).days + 1
    end = period[0] - dt.timedelta(days=1)
    return end - dt.timedelta(days=length - 1), end


def sandbox_report(sandbox: SandboxServer, period: tuple[dt.date, dt.date], columns: list[str],
                   where: ReportFilter) -> EntityReport:
    """What the sandbox itself reports for this filter (the expected numbers), asked directly."""
    return parse_entity(entity_report(sandbox, entity_body(*period, UTC_ID, columns, where)), columns)


def figures(metrics: Metrics) -> dict[str, Any]:
    return metrics.as_dict()


def entity_calls(sandbox: SandboxServer) -> int:
    counted = requests.get(f"{sandbox.base_url}/__sandbox/calls", timeout=5).json()["by_endpoint"]
    return sum(int(counted.get(name, 0)) for name in ENTITY_CALLS)


def load(api, user, path: str, **params: Any) -> dict[str, Any]:
    response = api.get(path, params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()


def one(kind: str, organization_id: int, suffix: str = "") -> str:
    return f"{DASHBOARD}/{kind}/{organization_id}{suffix}"


def test_an_advertisers_overview_is_the_sandboxs_own_report_of_its_offers(api, sandbox, acme, publisher,
                                                                          acme_manager) -> None:
    body = load(api, acme_manager, one("advertiser", acme.organization_id), period="7d")
    own = ReportFilter(advertisers=frozenset({acme.everflow_advertiser_id}))
    current = sandbox_report(sandbox, last_days(7), ["offer"], own)
    previous = sandbox_report(sandbox, before(last_days(7)), ["offer"], own)
    assert body["summary"]["current"] == figures(current.summary)
    assert body["summary"]["previous"] == figures(previous.summary)
    assert body["summary"]["current"]["clicks"] > 0
    assert body["dashboard_type"] == "advertiser"
    assert body["period"] == {"name": "7d", "start": last_days(7)[0].isoformat(), "end": today().isoformat(),
                              "timezone": "UTC", "days": 7}
    campaigns = {item["campaign_id"]: item for item in body["top_campaigns"]}
    assert set(campaigns) == set(acme.campaigns)
    by_offer = {row.dims["offer"].id: row.metrics for row in current.rows}
    for campaign_id, offer_id in acme.campaigns.items():
        assert campaigns[campaign_id]["metrics"] == figures(by_offer[str(offer_id)])
        assert campaigns[campaign_id]["network_offer_id"] == str(offer_id)
    [affiliate] = body["top_affiliates"]
    assert (affiliate["affiliate_id"], affiliate["network_affiliate_id"]) == (
        publisher.affiliate_id, str(publisher.everflow_affiliate_id))
    assert affiliate["metrics"] == figures(current.summary)
    assert body["meta"]["cache"] == "miss" and body["meta"]["stale"] is False


def test_two_advertisers_on_one_network_each_see_only_their_own_numbers(api, sql, make_org, make_user, sandbox,
                                                                       acme, publisher) -> None:
    globex = synced_advertiser_org(sql, make_org, sandbox, "Globex", campaigns=3)
    for org, other in ((acme, globex), (globex, acme)):
        manager = make_user(Role.ADVERTISER_MANAGER, org.organization_id)
        body = load(api, manager, one("advertiser", org.organization_id), period="30d")
        own = sandbox_report(sandbox, last_days(30), ["offer"],
                             ReportFilter(advertisers=frozenset({org.everflow_advertiser_id})))
        assert body["summary"]["current"] == figures(own.summary)
        offers = {int(item["network_offer_id"]) for item in body["top_campaigns"]}
        assert offers == org.offer_ids and not offers & other.offer_ids
        listed = load(api, manager, one("advertiser", org.organization_id, "/campaigns"), period="30d")
        assert {item["campaign_id"] for item in listed["campaigns"]} == set(org.campaigns)


def test_a_cold_dashboard_costs_two_everflow_calls_and_a_warm_one_none(api, sandbox, acme, publisher,
                                                                        acme_manager) -> None:
    everflow_reports.timezone_id("UTC")  # the zone catalogue is the process's, fetched once a day for everyone
    routes = ["", "/revenue-chart", "/conversion-chart", "/performance-chart", "/campaigns"]
    start = entity_calls(sandbox)
    cold = [api.get(one("advertiser", acme.organization_id, suffix), headers=acme_manager.headers) for suffix in routes]
    assert [response.status_code for response in cold] == [200] * 5
    assert entity_calls(sandbox) - start == 2
    assert cold[0].headers["X-Cache"] == "miss" and cold[0].json()["meta"]["cache"] == "miss"
    warm = [api.get(one("advertiser", acme.organization_id, suffix), headers=acme_manager.headers)
            for suffix in routes]
    assert entity_calls(sandbox) - start == 2
    assert {response.headers["X-Cache"] for response in warm} == {"hit"}
    assert {response.json()["meta"]["cache"] for response in warm} == {"hit"}


def test_a_cold_dashboard_loaded_all_at_once_still_costs_two_calls(api, sandbox, acme, publisher,
                                                                    acme_manager) -> None:
    everflow_reports.timezone_id("UTC")
    routes = ["", "/revenue-chart", "/conversion-chart", "/performance-chart", "/campaigns"] * 3
    path = one("advertiser", acme.organization_id)
    with ThreadPoolExecutor(len(routes)) as pool:
        responses = list(pool.map(lambda suffix: api.get(path + suffix, headers=acme_manager.headers), routes))
    assert {response.status_code for response in responses} == {200}
    assert entity_calls(sandbox) == 2
    assert len({response.json()["summary"]["current"]["clicks"] for response in responses if "summary" in
                response.json()}) == 1


def test_an_affiliate_sees_only_its_own_earnings_and_the_numbers_of_its_links(api, sql, make_org, make_user,
                                                                               sandbox, acme, publisher) -> None:
    other = synced_affiliate_org(sql, make_org, sandbox, "Other publisher")
    [first, second] = sorted(acme.campaigns)
    add_partnership(sql, acme.organization_id, publisher.organization_id)
    partners = Partners(acme.organization_id, publisher.organization_id, first, publisher.affiliate_id)
    older = add_link(sql, partners, name="Spring")
    newer = add_link(sql, Partners(acme.organization_id, publisher.organization_id, second, publisher.affiliate_id),
                     name="Summer", status="paused")
    add_link(sql, partners, name="Old", status="archived", sub1="old")
    manager = make_user(Role.AFFILIATE_MANAGER, publisher.organization_id)
    body = load(api, manager, one("affiliate", publisher.organization_id), period="7d")
    mine = ReportFilter(affiliates=frozenset({publisher.everflow_affiliate_id}))
    current = sandbox_report(sandbox, last_days(7), ["offer"], mine)
    assert body["summary"]["current"] == figures(current.summary)
    assert body["summary"]["current"]["payout"] > 0
    theirs = sandbox_report(sandbox, last_days(7), ["offer"],
                            ReportFilter(affiliates=frozenset({other.everflow_affiliate_id})))
    assert body["summary"]["current"] != figures(theirs.summary)
    assert {item["campaign_id"] for item in body["top_campaigns"]} == set(acme.campaigns)
    links = body["tracking_links"]
    assert (links["total"], links["by_status"]) == (3, {"active": 1, "paused": 1, "archived": 1})
    assert [item["tracking_link_id"] for item in links["recent"]] == [newer, older]
    by_offer = {row.dims["offer"].id: row.metrics for row in current.rows}
    for item in links["recent"]:
        assert item["metrics"] == figures(by_offer[str(acme.campaigns[item["campaign_id"]])])
        assert item["campaign_name"].startswith("Acme offer")
    best = max(acme.campaigns, key=lambda campaign: by_offer[str(acme.campaigns[campaign])].payout_cents)
    assert links["top"][0]["campaign_id"] == best
    listed = load(api, manager, one("affiliate", publisher.organization_id, "/campaigns"), period="7d")
    assert {item["campaign_id"] for item in listed["campaigns"]} == {first, second}


def test_an_agency_sees_its_client_advertisers_with_their_totals(api, sql, make_org, make_user, sandbox,
                                                                 publisher) -> None:
    agency = make_org("agency")
    north = synced_advertiser_org(sql, make_org, sandbox, "North", campaigns=1, organization_id=agency)
    south = synced_advertiser_org(sql, make_org, sandbox, "South", campaigns=2, organization_id=agency)
    outsider = synced_advertiser_org(sql, make_org, sandbox, "Outsider", campaigns=1)
    manager = make_user(Role.AGENCY_MANAGER, agency)
    body = load(api, manager, one("agency", agency), period="30d")
    clients = {item["advertiser_id"]: item for item in body["clients"]}
    assert set(clients) == {north.advertiser_id, south.advertiser_id}
    for client in (north, south):
        own = sandbox_report(sandbox, last_days(30), ["offer"],
                             ReportFilter(advertisers=frozenset({client.everflow_advertiser_id})))
        assert clients[client.advertiser_id]["metrics"] == figures(own.summary)
        assert {item["campaign_id"] for item in clients[client.advertiser_id]["top_campaigns"]} == set(
            client.campaigns)
    both = sandbox_report(sandbox, last_days(30), ["offer"], ReportFilter(
        advertisers=frozenset({north.everflow_advertiser_id, south.everflow_advertiser_id})))
    assert body["summary"]["current"] == figures(both.summary)
    assert not {int(item["network_offer_id"]) for item in body["top_campaigns"]} & outsider.offer_ids


def test_the_charts_are_the_sandboxs_days_beside_the_previous_periods(api, sandbox, acme, publisher,
                                                                       acme_manager) -> None:
    own = ReportFilter(advertisers=frozenset({acme.everflow_advertiser_id}))
    days = sandbox_report(sandbox, (before(last_days(7))[0], today()), ["date"], own)
    by_date = {row.dims["date"].label: row.metrics for row in days.rows}
    chart = load(api, acme_manager, one("advertiser", acme.organization_id, "/revenue-chart"), period="7d")
    assert chart["series"] == ["revenue", "payout", "profit"] and chart["granularity"] == "daily"
    assert [point["day"] for point in chart["points"]] == list(range(1, 8))
    for point in chart["points"]:
        current, previous = by_date[point["date"]], by_date[point["previous_date"]]
        assert point["values"] == {name: figures(current)[name] for name in ("revenue", "payout", "profit")}
        assert point["previous"]["revenue"] == figures(previous)["revenue"]
        assert dt.date.fromisoformat(point["date"]) - dt.date.fromisoformat(point["previous_date"]) == dt.timedelta(7)
    conversions = load(api, acme_manager, one("advertiser", acme.organization_id, "/conversion-chart"), period="7d")
    assert [point["values"]["conversions"] for point in conversions["points"]] == [
        by_date[point["date"]].conversions for point in conversions["points"]]
    assert conversions["totals"]["cvr"] == total([by_date[p["date"]] for p in conversions["points"]]).cvr
    performance = load(api, acme_manager, one("advertiser", acme.organization_id, "/performance-chart"),
                       period="7d", compare="false")
    assert performance["previous_period"] is None and performance["points"][0]["previous"] is None
    assert performance["series"] == ["clicks", "unique_clicks", "conversions", "revenue", "payout"]


def test_a_campaigns_page_asks_everflow_for_its_offer_only(api, sandbox, acme, publisher, acme_manager) -> None:
    everflow_reports.timezone_id("UTC")
    campaign_id, offer_id = next(iter(acme.campaigns.items()))
    start = entity_calls(sandbox)
    body = load(api, acme_manager, one("advertiser", acme.organization_id, f"/campaigns/{campaign_id}"), period="7d")
    assert entity_calls(sandbox) - start == 1
    own = sandbox_report(sandbox, last_days(7), ["offer"], ReportFilter(
        advertisers=frozenset({acme.everflow_advertiser_id}), offers=frozenset({offer_id})))
    assert body["campaign"]["campaign_id"] == campaign_id and body["campaign"]["network_offer_id"] == str(offer_id)
    assert body["summary"]["current"] == figures(own.summary) == body["campaign"]["metrics"]
    assert sum(point["values"]["clicks"] for point in body["points"]) == own.summary.clicks
    assert len(body["points"]) == 7


def test_custom_periods_compare_with_the_days_before(api, sandbox, acme, publisher, acme_manager) -> None:
    start, end = today() - dt.timedelta(days=20), today() - dt.timedelta(days=11)
    body = load(api, acme_manager, one("advertiser", acme.organization_id), period="custom",
                startDate=start.isoformat(), endDate=end.isoformat(), timezone="America/New_York")
    own = ReportFilter(advertisers=frozenset({acme.everflow_advertiser_id}))
    assert body["period"]["days"] == 10 and body["period"]["timezone"] == "America/New_York"
    assert body["previous_period"]["end"] == (start - dt.timedelta(days=1)).isoformat()
    assert body["summary"]["current"] == figures(sandbox_report(sandbox, (start, end), ["offer"], own).summary)
    previous = sandbox_report(sandbox, before((start, end)), ["offer"], own).summary
    assert body["summary"]["previous"] == figures(previous)
    assert body["summary"]["change"]["clicks"] == round(
        (body["summary"]["current"]["clicks"] - previous.clicks) * 100 / previous.clicks, 2)


@pytest.mark.parametrize(("params", "field"), [
    ({"period": "2w"}, "period"),
    ({"period": "custom", "endDate": "2025-01-31"}, "start_date"),
    ({"period": "custom", "start_date": "2025-01-31"}, "end_date"),
    ({"period": "custom", "start_date": "2025-02-01", "end_date": "2025-01-31"}, "end_date"),
    ({"period": "custom", "start_date": "2024-01-01", "end_date": "2025-01-31"}, "end_date"),
    ({"period": "custom", "start_date": "2025-13-01", "end_date": "2025-01-31"}, "start_date"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"compare": "perhaps"}, "compare"),
])
def test_bad_periods_are_refused_with_the_field_named(api, sandbox, acme, acme_manager, params, field) -> None:
    response = api.get(one("advertiser", acme.organization_id), params=params, headers=acme_manager.headers)
    assert response.status_code == 422, response.text
    assert [detail["field"] for detail in response.json()["error"]["details"]] == [field]
    assert entity_calls(sandbox) == 0


def test_the_wrong_type_or_another_tenants_organization_is_not_found(api, make_org, make_user, sandbox, acme,
                                                                      publisher, acme_manager) -> None:
    for path in (one("affiliate", acme.organization_id), one("agency", acme.organization_id),
                 one("platform", acme.organization_id), one("advertiser", publisher.organization_id),
                 one("affiliate", publisher.organization_id, "/revenue-chart"),
                 one("advertiser", acme.organization_id, "/campaigns/999999"),
                 f"/api/v1/organizations/{publisher.organization_id}/analytics"):
        response = api.get(path, headers=acme_manager.headers)
        assert response.status_code == 404, (path, response.text)
    other_manager = make_user(Role.ADVERTISER_MANAGER, make_org("advertiser"))
    campaign_id = next(iter(acme.campaigns))
    foreign = api.get(one("advertiser", acme.organization_id, f"/campaigns/{campaign_id}"),
                      headers=other_manager.headers)
    assert foreign.status_code == 404
    assert api.get(f"{DASHBOARD}/unknown/{acme.organization_id}", headers=acme_manager.headers).status_code == 404
    assert entity_calls(sandbox) == 0


def test_your_own_dashboard_and_an_organizations_analytics_are_the_same_overview(api, sandbox, acme, publisher,
                                                                                acme_manager) -> None:
    own = load(api, acme_manager, DASHBOARD, period="7d")
    analytics = load(api, acme_manager, f"/api/v1/organizations/{acme.organization_id}/analytics", period="7d")
    typed = load(api, acme_manager, one("advertiser", acme.organization_id), period="7d")
    for body in (own, analytics):
        assert body["organization"] == typed["organization"] and body["summary"] == typed["summary"]
        assert body["dashboard_type"] == "advertiser"


def test_an_organization_without_synced_entities_shows_zeros_without_asking_everflow(api, make_org, make_user,
                                                                                      sandbox) -> None:
    organization = make_org("advertiser")
    manager = make_user(Role.ADVERTISER_MANAGER, organization)
    body = load(api, manager, one("advertiser", organization))
    assert body["summary"]["current"]["clicks"] == 0 and body["top_campaigns"] == []
    assert body["summary"]["change"]["clicks"] is None
    assert requests.get(f"{sandbox.base_url}/__sandbox/calls", timeout=5).json()["total"] == 0


def short_ttl(monkeypatch) -> None:
    """Figures go stale after a second and Everflow failures are not retried, so the test is quick."""
    monkeypatch.setenv("REPORT_CACHE_TTL_S", "1")
    monkeypatch.setenv("EVERFLOW_REPORT_MAX_RETRIES", "0")
    get_settings.cache_clear()
    get_reporting_client.cache_clear()
    reset_report_cache()


def test_everflow_down_serves_the_cached_figures_flagged_stale_with_their_age(api, sandbox, acme, publisher,
                                                                               acme_manager, monkeypatch) -> None:
    short_ttl(monkeypatch)
    fresh = load(api, acme_manager, one("advertiser", acme.organization_id), period="7d")
    sandbox.faults.set(error_rate=1.0)
    time.sleep(2.2)  # past twice the TTL: the next load must ask Everflow, which fails
    response = api.get(one("advertiser", acme.organization_id), params={"period": "7d"},
                       headers=acme_manager.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert response.headers["X-Cache"] == "stale"
    assert body["meta"]["stale"] is True and body["meta"]["age_seconds"] >= 2
    assert body["meta"]["as_of"] == fresh["meta"]["as_of"]
    assert body["summary"] == fresh["summary"]
    chart = api.get(one("advertiser", acme.organization_id, "/revenue-chart"), params={"period": "7d"},
                    headers=acme_manager.headers)
    assert chart.status_code == 200 and chart.json()["meta"]["stale"] is True


def test_everflow_down_with_nothing_cached_answers_503(api, sandbox, acme, publisher, acme_manager,
                                                       monkeypatch) -> None:
    short_ttl(monkeypatch)
    everflow_reports.timezone_id("UTC")
    sandbox.faults.set(error_rate=1.0)
    response = api.get(one("advertiser", acme.organization_id), headers=acme_manager.headers)
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "everflow_unavailable" and "no figures of this period are cached" in error["message"]


def test_invalidating_the_cache_makes_the_next_load_a_miss(api, sandbox, acme, publisher, acme_manager) -> None:
    everflow_reports.timezone_id("UTC")
    load(api, acme_manager, one("advertiser", acme.organization_id, "/revenue-chart"))
    assert api.get(one("advertiser", acme.organization_id, "/revenue-chart"),
                   headers=acme_manager.headers).headers["X-Cache"] == "hit"
    response = api.post(f"{DASHBOARD}/cache/invalidate", headers=acme_manager.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"organization_id": acme.organization_id, "invalidated": True}
    start = entity_calls(sandbox)
    again = api.get(one("advertiser", acme.organization_id, "/revenue-chart"), headers=acme_manager.headers)
    assert again.headers["X-Cache"] == "miss" and entity_calls(sandbox) - start == 1


def test_a_new_campaign_synced_through_the_api_shows_on_the_next_load(api, sql, sandbox, acme, publisher,
                                                                     acme_manager) -> None:
    everflow_reports.timezone_id("UTC")
    before_count = load(api, acme_manager, one("advertiser", acme.organization_id, "/campaigns"))["total"]
    created = api.post("/api/v1/campaigns", headers=acme_manager.headers, json={
        "organization_id": acme.organization_id, "advertiser_id": acme.advertiser_id, "name": "Autumn",
        "status": "active",
        "destination_url": "https://shop.example/autumn"})
    assert created.status_code == 201, created.text
    assert local_bus().wait_idle(30)  # synced to the sandbox; the dashboards' cache invalidated
    campaign_id = created.json()["campaign_id"]
    listed = api.get(one("advertiser", acme.organization_id, "/campaigns"), headers=acme_manager.headers)
    assert listed.headers["X-Cache"] == "miss"
    body = listed.json()
    assert body["total"] == before_count + 1
    [autumn] = [item for item in body["campaigns"] if item["campaign_id"] == campaign_id]
    offer = sql("SELECT provider_offer_id FROM campaign_provider_mappings WHERE campaign_id = :id",
                id=campaign_id)[0]["provider_offer_id"]
    assert autumn["network_offer_id"] == offer and autumn["metrics"]["clicks"] > 0


def test_the_platform_dashboard_counts_come_from_the_database(api, sql, make_org, make_user, sandbox, acme,
                                                             publisher) -> None:
    platform = make_org("platform_owner")
    owner = make_user(Role.PLATFORM_OWNER, platform)
    sql("UPDATE organizations SET status = 'archived' WHERE organization_id = :id", id=make_org("agency"))
    body = load(api, owner, one("platform", platform), period="7d")
    counts = sql("SELECT type, status, count(*) AS n FROM organizations GROUP BY type, status")
    expected = {}
    for row in counts:
        expected.setdefault(row["type"], {})[row["status"]] = row["n"]
    assert body["platform"]["organizations"] == {"total": sum(row["n"] for row in counts), "by": expected}
    users = sql("SELECT count(*) AS n FROM profiles")[0]["n"]
    assert body["platform"]["users"]["total"] == users and body["platform"]["users"]["by"]["PlatformOwner"] == 1
    assert body["platform"]["sync_health"]["mappings"]["campaign"] == {"synced": 2}
    network = sandbox_report(sandbox, last_days(7), ["offer"], ReportFilter.unlimited())
    assert body["summary"]["current"] == figures(network.summary)
    assert {item["advertiser_id"] for item in body["top_advertisers"]} == {acme.advertiser_id}
    assert {item["affiliate_id"] for item in body["top_affiliates"]} == {publisher.affiliate_id}
    member = make_user(Role.USER, platform)  # the platform owner's own people see the platform's figures
    seen = load(api, member, one("platform", platform), period="7d")
    assert seen["platform"]["organizations"] == body["platform"]["organizations"]
    assert seen["top_advertisers"] == body["top_advertisers"] and seen["summary"] == body["summary"]


def test_system_health_reports_sync_state_outbox_backlog_and_everflow(api, sql, make_org, make_user, sandbox, acme,
                                                                      publisher, acme_manager) -> None:
    admin = make_user(Role.ADMIN)
    sql("UPDATE campaign_provider_mappings SET sync_status = 'failed', sync_error = 'Everflow 500: boom'"
        " WHERE campaign_id = :id", id=min(acme.campaigns))
    sql("INSERT INTO outbox (topic, event_type, aggregate_type, aggregate_id, created_at)"
        " VALUES ('catalogue-events', 'campaign.updated', 'campaign', '1', now() - interval '5 minutes')")
    sql("INSERT INTO sync_jobs (kind, status, total, processed, succeeded, failed)"
        " VALUES ('campaign', 'completed', 3, 3, 2, 1)")
    unknown = load(api, admin, f"{DASHBOARD}/system/health")
    assert unknown["everflow"]["status"] == "unknown"
    load(api, acme_manager, one("advertiser", acme.organization_id))
    body = load(api, admin, f"{DASHBOARD}/system/health")
    assert (body["status"], body["database"], body["redis"]) == ("UP", "up", "up")
    assert body["everflow"]["status"] == "up"
    sync = body["sync"]
    assert sync["mappings"]["campaign"] == {"synced": 1, "failed": 1} and sync["failed"] == 1
    assert [(item["kind"], item["entity_id"]) for item in sync["recent_failures"]] == [
        ("campaign", min(acme.campaigns))]
    assert sync["outbox"]["unpublished"] >= 1 and sync["outbox"]["oldest_age_seconds"] >= 290
    assert sync["latest_sync_job"]["kind"] == "campaign" and sync["latest_sync_job"]["failed"] == 1
    assert api.get(f"{DASHBOARD}/system/health", headers=acme_manager.headers).status_code == 403


def test_today_is_today_in_the_asked_time_zone(api, sandbox, acme, publisher, acme_manager) -> None:
    for name in ("Pacific/Auckland", "Pacific/Honolulu"):  # UTC+12/13 and UTC-10: a day apart most hours
        body = load(api, acme_manager, one("advertiser", acme.organization_id), period="today", timezone=name)
        local = dt.datetime.now(ZoneInfo(name)).date()
        assert (body["period"]["start"], body["period"]["end"]) == (local.isoformat(), local.isoformat())
        assert body["previous_period"]["start"] == (local - dt.timedelta(days=1)).isoformat()


def test_a_zone_everflow_does_not_know_is_refused_with_the_field_named(api, sandbox, acme, publisher,
                                                                        acme_manager) -> None:
    response = api.get(one("advertiser", acme.organization_id), params={"timezone": "Pacific/Kiritimati"},
                       headers=acme_manager.headers)
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["field"] == "timezone" and "Everflow does not support" in detail["message"]
