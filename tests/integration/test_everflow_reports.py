"""Tenant-scoped Everflow reports against the sandbox over HTTP: each tenant gets exactly its own numbers,
an organization without synced entities never reaches Everflow, and a repeated report is a cache hit."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from shared.adapters.everflow.client import get_everflow_client
from shared.adapters.everflow.reporting import ReportFilter, entity_body, parse_entity
from shared.adapters.everflow.sandbox import SandboxServer
from shared.caching import reset_report_cache
from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.errors import NotFound, ValidationFailed
from shared.domain.principal import TenantScope
from shared.domain.reporting import Metrics
from shared.services import everflow_reports
from shared.services.everflow_reports import ReportsUnavailable
from shared.services.report_scope import TenantReportScope, report_scope
from tests.reporting_rows import AdvertiserOrg, entity_report, synced_advertiser_org, synced_affiliate_org
from tests.tracking_link_rows import add_partnership

UTC_ID = 67


@pytest.fixture
def week() -> tuple[dt.date, dt.date]:
    today = dt.datetime.now(dt.UTC).date()
    return today - dt.timedelta(days=6), today


def scope_of(organization_id: int, *, caller: TenantScope | None = None) -> TenantReportScope:
    with UnitOfWork(caller or TenantScope.only(organization_id)) as uow:
        return report_scope(organization_id, uow=uow)


def calls(sandbox: SandboxServer) -> int:
    return int(requests.get(f"{sandbox.base_url}/__sandbox/calls", timeout=5).json()["total"])


def expected(sandbox: SandboxServer, week: tuple[dt.date, dt.date], columns: list[str],
             where: ReportFilter):
    """What the sandbox itself reports for these filters, fetched directly."""
    return parse_entity(entity_report(sandbox, entity_body(*week, UTC_ID, columns, where)), columns)


def test_two_advertisers_on_one_network_each_see_only_their_numbers(sql, make_org, sandbox, week) -> None:
    acme = synced_advertiser_org(sql, make_org, sandbox, "Acme", campaigns=2)
    globex = synced_advertiser_org(sql, make_org, sandbox, "Globex", campaigns=3)
    synced_affiliate_org(sql, make_org, sandbox, "Publisher")
    for org, other in ((acme, globex), (globex, acme)):
        report = everflow_reports.entity_report(scope_of(org.organization_id), *week, "UTC", ["offer"]).value
        own = expected(sandbox, week, ["offer"], ReportFilter(advertisers=frozenset({org.everflow_advertiser_id})))
        assert report.summary == own.summary
        assert report.summary.clicks > 0
        assert {int(row.dims["offer"].id) for row in report.rows} == org.offer_ids
        assert not {int(row.dims["offer"].id) for row in report.rows} & other.offer_ids


def test_report_rows_are_labelled_with_our_campaigns(sql, make_org, sandbox, week) -> None:
    acme = synced_advertiser_org(sql, make_org, sandbox, "Acme", campaigns=2)
    synced_affiliate_org(sql, make_org, sandbox)
    scope = scope_of(acme.organization_id)
    report = everflow_reports.entity_report(scope, *week, "UTC", ["offer", "date"]).value
    campaigns = {scope.campaign(row.dims["offer"].id).entity_id for row in report.rows}
    assert campaigns == set(acme.campaigns)
    assert sum((row.metrics for row in report.rows), Metrics()) == report.summary


def test_an_affiliate_organization_sees_only_its_affiliates_traffic(sql, make_org, sandbox, week) -> None:
    synced_advertiser_org(sql, make_org, sandbox, "Acme", campaigns=2)
    mine = synced_affiliate_org(sql, make_org, sandbox, "Mine")
    theirs = synced_affiliate_org(sql, make_org, sandbox, "Theirs")
    report = everflow_reports.entity_report(scope_of(mine.organization_id), *week, "UTC", ["affiliate"]).value
    own = expected(sandbox, week, ["affiliate"], ReportFilter(affiliates=frozenset({mine.everflow_affiliate_id})))
    assert report.summary == own.summary
    assert {row.dims["affiliate"].id for row in report.rows} == {str(mine.everflow_affiliate_id)}
    assert str(theirs.everflow_affiliate_id) not in {row.dims["affiliate"].id for row in report.rows}


def test_an_organization_without_mappings_makes_no_everflow_call(sql, make_org, sandbox, week) -> None:
    synced_advertiser_org(sql, make_org, sandbox, "Acme")
    synced_affiliate_org(sql, make_org, sandbox)
    unsynced = make_org("advertiser")
    sql("INSERT INTO advertisers (organization_id, name) VALUES (:org, 'Not synced yet')", org=unsynced)
    scope = scope_of(unsynced)
    before = calls(sandbox)
    report = everflow_reports.entity_report(scope, *week, "UTC", ["offer"])
    page = everflow_reports.conversions(scope, *week, "UTC")
    clicks = everflow_reports.clicks(scope, week[1], week[1], "UTC")
    narrowed = scope_of(make_org("affiliate")).narrowed(campaign_ids=[1, 2, 3])
    assert calls(sandbox) == before
    assert scope.filter.is_empty and narrowed.filter.is_empty
    assert (report.value.summary, report.value.rows, page.value.total, clicks.value.total) == (Metrics(), (), 0, 0)


def test_a_repeated_report_is_a_cache_hit_without_any_call(sql, make_org, sandbox, week) -> None:
    acme = synced_advertiser_org(sql, make_org, sandbox, "Acme")
    synced_affiliate_org(sql, make_org, sandbox)
    scope = scope_of(acme.organization_id)
    first = everflow_reports.entity_report(scope, *week, "UTC", ["offer"])
    before = calls(sandbox)
    again = everflow_reports.entity_report(scope_of(acme.organization_id), *week, "UTC", ["offer"])
    assert (first.hit, again.hit, again.stale) == (False, True, False)
    assert again.value == first.value
    assert calls(sandbox) == before


def test_two_reports_of_one_request_come_back_in_order(sql, make_org, sandbox, week) -> None:
    acme = synced_advertiser_org(sql, make_org, sandbox, "Acme")
    synced_affiliate_org(sql, make_org, sandbox)
    scope = scope_of(acme.organization_id)
    previous = (week[0] - dt.timedelta(days=7), week[0] - dt.timedelta(days=1))
    everflow_reports.timezone_id("UTC")
    before = calls(sandbox)
    sandbox.faults.set(delay_ms=400)
    started = time.monotonic()
    current, earlier = everflow_reports.entity_reports(scope, [(*week, ["date"]), (*previous, ["offer"])], "UTC")
    assert time.monotonic() - started < 0.75  # side by side, not one after the other
    sandbox.faults.reset()
    assert calls(sandbox) - before == 2
    assert [len(row.dims) for row in current.value.rows] == [1] * 7
    assert earlier.value.summary == expected(sandbox, previous, ["offer"], scope.filter).summary


def test_the_platform_owner_sees_the_whole_network(sql, make_org, sandbox, week) -> None:
    synced_advertiser_org(sql, make_org, sandbox, "Acme")
    synced_advertiser_org(sql, make_org, sandbox, "Globex")
    synced_affiliate_org(sql, make_org, sandbox)
    platform = make_org("platform_owner")
    scope = scope_of(platform, caller=TenantScope.everything())
    report = everflow_reports.entity_report(scope, *week, "UTC", ["advertiser"]).value
    assert scope.filter.everything
    assert report.summary == expected(sandbox, week, ["advertiser"], ReportFilter.unlimited()).summary
    assert len(report.rows) == 2


def test_another_tenants_organization_is_not_found(sql, make_org, sandbox) -> None:
    acme = synced_advertiser_org(sql, make_org, sandbox, "Acme")
    with pytest.raises(NotFound):
        scope_of(acme.organization_id, caller=TenantScope.only(make_org("advertiser")))


def test_conversions_and_clicks_are_the_tenants_own(sql, make_org, sandbox, week) -> None:
    acme = synced_advertiser_org(sql, make_org, sandbox, "Acme", campaigns=2)
    synced_advertiser_org(sql, make_org, sandbox, "Globex", campaigns=1)
    synced_affiliate_org(sql, make_org, sandbox)
    scope = scope_of(acme.organization_id)
    summary = everflow_reports.entity_report(scope, *week, "UTC", ["offer"]).value.summary
    page = everflow_reports.conversions(scope, *week, "UTC", page=1, page_size=100).value
    assert page.total == summary.conversions
    assert {int(item.parties.offer.id) for item in page.conversions} <= acme.offer_ids
    assert [item.unix for item in page.conversions] == sorted((item.unix for item in page.conversions), reverse=True)
    day = everflow_reports.entity_report(scope, week[0], week[0], "UTC", ["offer"]).value.summary
    clicks = everflow_reports.clicks(scope, week[0], week[0], "UTC", page=2, page_size=10).value
    assert (clicks.total, len(clicks.clicks)) == (day.clicks, 10)
    assert {int(item.parties.advertiser.id) for item in clicks.clicks} == {acme.everflow_advertiser_id}


def test_everflow_lists_the_zone_or_the_report_is_refused(sandbox) -> None:
    assert everflow_reports.timezone_id("America/New_York") == 80
    with pytest.raises(ValidationFailed, match="America/Guatemala"):
        everflow_reports.timezone_id("America/Guatemala")  # a real zone Everflow's catalogue lacks
    with pytest.raises(ValidationFailed, match="Mars/Olympus"):
        everflow_reports.timezone_id("Mars/Olympus")


def test_everflow_down_without_cached_numbers_is_unavailable(sql, make_org, sandbox, week, monkeypatch) -> None:
    acme: AdvertiserOrg = synced_advertiser_org(sql, make_org, sandbox, "Acme")
    monkeypatch.setenv("EVERFLOW_MAX_RETRIES", "0")
    get_settings.cache_clear()
    get_everflow_client.cache_clear()
    everflow_reports.timezone_id("UTC")
    sandbox.faults.set(error_rate=1.0)
    with pytest.raises(ReportsUnavailable):
        everflow_reports.entity_report(scope_of(acme.organization_id), *week, "UTC", ["offer"])


def test_a_campaign_filter_narrows_to_that_campaigns_offer(sql, make_org, sandbox, week) -> None:
    acme = synced_advertiser_org(sql, make_org, sandbox, "Acme", campaigns=3)
    globex = synced_advertiser_org(sql, make_org, sandbox, "Globex", campaigns=1)
    synced_affiliate_org(sql, make_org, sandbox)
    campaign_id, offer_id = next(iter(acme.campaigns.items()))
    scope = scope_of(acme.organization_id)
    report = everflow_reports.entity_report(scope.narrowed(campaign_ids=[campaign_id]), *week, "UTC", ["offer"])
    assert [row.dims["offer"].id for row in report.value.rows] == [str(offer_id)]
    only_offer = ReportFilter(offers=frozenset({offer_id}))
    assert report.value.summary == expected(sandbox, week, ["offer"], only_offer).summary
    before = calls(sandbox)
    foreign = everflow_reports.entity_report(scope.narrowed(campaign_ids=list(globex.campaigns)), *week, "UTC",
                                             ["offer"])
    assert (foreign.value.rows, calls(sandbox)) == ((), before)  # another tenant's campaign: nothing, no call


def test_an_agency_reports_on_its_own_advertisers(sql, make_org, sandbox, week) -> None:
    agency = synced_advertiser_org(sql, make_org, sandbox, "Agency brand", org_type="agency")
    synced_advertiser_org(sql, make_org, sandbox, "Someone else")
    synced_affiliate_org(sql, make_org, sandbox)
    scope = scope_of(agency.organization_id)
    report = everflow_reports.entity_report(scope, *week, "UTC", ["advertiser"]).value
    assert [row.dims["advertiser"].id for row in report.rows] == [str(agency.everflow_advertiser_id)]
    assert scope.advertiser(agency.everflow_advertiser_id).entity_id == agency.advertiser_id


def test_an_hourly_series_adds_up_to_the_daily_one(sql, make_org, sandbox) -> None:
    acme = synced_advertiser_org(sql, make_org, sandbox, "Acme")
    synced_affiliate_org(sql, make_org, sandbox)
    scope = scope_of(acme.organization_id)
    today = dt.datetime.now(dt.UTC).date()
    days = (today - dt.timedelta(days=1), today)
    hourly, daily = everflow_reports.entity_reports(scope, [(*days, ["hour"]), (*days, ["date"])], "UTC")
    assert len(hourly.value.rows) == 48
    assert hourly.value.summary == daily.value.summary
    with pytest.raises(ValidationFailed, match="14 days"):
        everflow_reports.entity_report(scope, today - dt.timedelta(days=14), today, "UTC", ["hour"])


def test_everflow_down_serves_the_last_numbers_flagged_stale(sql, make_org, sandbox, week, monkeypatch) -> None:
    acme = synced_advertiser_org(sql, make_org, sandbox, "Acme")
    synced_affiliate_org(sql, make_org, sandbox)
    monkeypatch.setenv("EVERFLOW_MAX_RETRIES", "0")
    monkeypatch.setenv("REPORT_CACHE_TTL_S", "1")
    get_settings.cache_clear()
    get_everflow_client.cache_clear()
    reset_report_cache()
    scope = scope_of(acme.organization_id)
    fresh = everflow_reports.entity_report(scope, *week, "UTC", ["offer"])
    sandbox.faults.set(error_rate=1.0)
    time.sleep(2.1)  # past twice the TTL: the cache asks Everflow again, which fails
    served = everflow_reports.entity_report(scope, *week, "UTC", ["offer"])
    assert (served.stale, served.value, served.fetched_at) == (True, fresh.value, fresh.fetched_at)


def test_partners_entities_are_named_when_a_directory_is_given(sql, make_org, sandbox, week) -> None:
    acme = synced_advertiser_org(sql, make_org, sandbox, "Acme", campaigns=2)
    partner = synced_affiliate_org(sql, make_org, sandbox, "Partner")
    stranger = synced_affiliate_org(sql, make_org, sandbox, "Stranger")
    add_partnership(sql, acme.organization_id, partner.organization_id)
    with UnitOfWork(TenantScope.only(acme.organization_id)) as uow:
        scope = report_scope(acme.organization_id, uow=uow, directory=UnitOfWork(TenantScope.everything()))
    assert scope.affiliate(partner.everflow_affiliate_id).entity_id == partner.affiliate_id
    assert scope.affiliate(stranger.everflow_affiliate_id) is None
    assert scope_of(acme.organization_id).affiliate(partner.everflow_affiliate_id) is None  # no directory, no names
    report = everflow_reports.entity_report(scope.narrowed(affiliate_ids=[partner.affiliate_id]), *week, "UTC",
                                            ["affiliate", "offer"]).value
    assert {row.dims["affiliate"].id for row in report.rows} == {str(partner.everflow_affiliate_id)}
    assert {int(row.dims["offer"].id) for row in report.rows} == acme.offer_ids
    with UnitOfWork(TenantScope.only(partner.organization_id)) as uow:
        seen_by_partner = report_scope(partner.organization_id, uow=uow,
                                       directory=UnitOfWork(TenantScope.everything()))
    assert {seen_by_partner.campaign(offer).entity_id for offer in acme.offer_ids} == set(acme.campaigns)
    assert seen_by_partner.filter == ReportFilter(affiliates=frozenset({partner.everflow_affiliate_id}))


def test_conversions_can_be_limited_to_one_status(sql, make_org, sandbox, week) -> None:
    acme = synced_advertiser_org(sql, make_org, sandbox, "Acme")
    synced_affiliate_org(sql, make_org, sandbox)
    scope = scope_of(acme.organization_id)
    every = everflow_reports.conversions(scope, *week, "UTC").value.total
    assert everflow_reports.conversions(scope, *week, "UTC", status="approved").value.total == every > 0
    assert everflow_reports.conversions(scope, *week, "UTC", status="pending").value.total == 0
    with pytest.raises(ValidationFailed, match="status"):
        everflow_reports.conversions(scope, *week, "UTC", status="lost")
