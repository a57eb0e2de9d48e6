"""Dashboard use cases and read models against PostgreSQL, Redis and the Everflow sandbox: long periods,
weekly charts, what an affiliate organization may name, and Everflow's last word for the health route."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import requests

from shared.adapters.everflow.client import get_reporting_client
from shared.adapters.everflow.reporting import ReportFilter, entity_body, parse_entity
from shared.adapters.everflow.sandbox import SandboxServer
from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.dashboards import DashboardKind
from shared.domain.errors import NotFound
from shared.domain.paging import PageRequest
from shared.domain.principal import Actor, Principal, TenantScope
from shared.domain.reporting import Period, PeriodName
from shared.domain.roles import Role
from shared.repositories import dashboards as queries
from shared.services import dashboard_health, everflow_reports
from shared.services.dashboards import Target, Window, dashboard_campaign, dashboard_overview, dashboard_series
from tests.reporting_rows import AdvertiserOrg, AffiliateOrg, entity_report, synced_advertiser_org, synced_affiliate_org
from tests.tracking_link_rows import Partners, add_link

UTC_ID = 67
ENTITY = "POST /v1/networks/reporting/entity"


@pytest.fixture
def sandbox(sandbox: SandboxServer) -> SandboxServer:
    everflow_reports.timezone_id("UTC")  # the process's zone catalogue is not what these tests count
    return sandbox


@pytest.fixture
def acme(sql, make_org, sandbox) -> AdvertiserOrg:
    return synced_advertiser_org(sql, make_org, sandbox, "Acme", campaigns=2)


@pytest.fixture
def publisher(sql, make_org, sandbox) -> AffiliateOrg:
    return synced_affiliate_org(sql, make_org, sandbox, "Publisher")


def actor(role: Role, organization_id: int | None) -> Actor:
    return Actor(Principal(uuid.uuid4(), role, organization_id))


def uow_of(who: Actor) -> UnitOfWork:
    return UnitOfWork(who.scope)


def entity_calls(sandbox: SandboxServer) -> int:
    return int(requests.get(f"{sandbox.base_url}/__sandbox/calls", timeout=5).json()["by_endpoint"].get(ENTITY, 0))


def custom(days: int, *, ending_days_ago: int = 0) -> Period:
    end = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=ending_days_ago)
    return Period(end - dt.timedelta(days=days - 1), end, "UTC", PeriodName.CUSTOM)


def summary(sandbox: SandboxServer, period: Period, where: ReportFilter):
    body = entity_body(period.start, period.end, UTC_ID, ["offer"], where)
    return parse_entity(entity_report(sandbox, body), ["offer"]).summary


def test_a_period_over_183_days_is_compared_through_a_second_series_request(sandbox, acme, publisher) -> None:
    manager = actor(Role.ADVERTISER_MANAGER, acme.organization_id)
    period = custom(200)
    target = Target(acme.organization_id, DashboardKind.ADVERTISER)
    found = dashboard_overview(target, Window(period), uow=uow_of(manager), actor=manager)
    assert entity_calls(sandbox) == 3  # current days, previous days, breakdown
    without = dashboard_overview(target, Window(period, compare=False), uow=uow_of(manager), actor=manager)
    assert entity_calls(sandbox) == 3 and without.freshness.hit  # the current days' entry is shared
    own = ReportFilter(advertisers=frozenset({acme.everflow_advertiser_id}))
    assert found.figures.current == without.figures.current == summary(sandbox, period, own)
    assert found.figures.previous == summary(sandbox, period.previous(), own)
    assert without.figures.previous is None


def test_a_short_period_is_one_series_request_whether_compared_or_not(sandbox, acme, publisher) -> None:
    manager = actor(Role.ADVERTISER_MANAGER, acme.organization_id)
    target = Target(acme.organization_id, DashboardKind.ADVERTISER)
    compared = dashboard_series(target, Window(custom(30)), uow=uow_of(manager), actor=manager)
    alone = dashboard_series(target, Window(custom(30), compare=False), uow=uow_of(manager), actor=manager)
    assert entity_calls(sandbox) == 1
    assert alone.figures.current == compared.figures.current and alone.figures.previous is None
    assert [point.metrics for point in alone.points] == [point.metrics for point in compared.points]


def test_periods_over_90_days_are_charted_by_week(sandbox, acme, publisher) -> None:
    manager = actor(Role.ADVERTISER_MANAGER, acme.organization_id)
    period = custom(120)
    series = dashboard_series(Target(acme.organization_id), Window(period), uow=uow_of(manager), actor=manager)
    assert len(series.points) == 18  # 17 weeks and 1 day
    assert [point.day for point in series.points[:3]] == [period.start + dt.timedelta(days=7 * n) for n in range(3)]
    assert series.points[-1].day == period.end
    clicks = sum(point.metrics.clicks for point in series.points)
    assert clicks == series.figures.current.clicks > 0
    assert sum(point.previous.clicks for point in series.points if point.previous) == series.figures.previous.clicks


def test_an_unsynced_campaign_shows_zeros_without_asking_everflow(sql, sandbox, acme, publisher) -> None:
    manager = actor(Role.ADVERTISER_MANAGER, acme.organization_id)
    campaign_id = sql("INSERT INTO campaigns (organization_id, advertiser_id, name) VALUES (:org, :adv, 'Draft')"
                      " RETURNING campaign_id", org=acme.organization_id, adv=acme.advertiser_id)[0]["campaign_id"]
    found = dashboard_campaign(Target(acme.organization_id), campaign_id, Window(custom(7)), uow=uow_of(manager),
                               actor=manager)
    assert found.campaign.offer_id is None and found.series.figures.current.clicks == 0
    assert entity_calls(sandbox) == 0


def test_an_affiliate_organizations_campaigns_are_those_it_has_links_for(sql, make_org, sandbox, acme,
                                                                          publisher) -> None:
    [linked, unlinked] = sorted(acme.campaigns)
    add_link(sql, Partners(acme.organization_id, publisher.organization_id, linked, publisher.affiliate_id))
    scope = TenantScope.only(publisher.organization_id)
    promoted = queries.CampaignsOf(publisher.organization_id, promoted=True)
    with UnitOfWork(scope) as uow:
        page = queries.campaigns_page(uow.session, promoted, PageRequest(), scope)
        assert [(row.campaign_id, row.offer_id) for row in page.items] == [(linked, str(acme.campaigns[linked]))]
        assert queries.campaign(uow.session, unlinked, promoted, scope) is None
        # the cross-tenant flag was only on for those statements: the advertiser's rows stay hidden
        assert uow.session.fetch_all("SELECT campaign_id FROM campaigns") == []
    manager = actor(Role.AFFILIATE_MANAGER, publisher.organization_id)
    with pytest.raises(NotFound):
        dashboard_campaign(Target(publisher.organization_id), unlinked, Window(custom(7)), uow=uow_of(manager),
                           actor=manager)


def test_network_ids_are_named_only_for_what_is_asked(sql, sandbox, acme, publisher) -> None:
    scope = TenantScope.only(publisher.organization_id)
    offers = [str(offer) for offer in sorted(acme.offer_ids)]
    with UnitOfWork(scope) as uow:
        named = queries.by_network_id(uow.session, "offer", [*offers, "999999"], scope)
        assert {key: entity.entity_id for key, entity in named.items()} == {
            str(offer): campaign for campaign, offer in acme.campaigns.items()}
        advertisers = queries.by_network_id(uow.session, "advertiser", [str(acme.everflow_advertiser_id)], scope)
        assert advertisers[str(acme.everflow_advertiser_id)].entity_id == acme.advertiser_id
        assert queries.by_network_id(uow.session, "affiliate", [], scope) == {}


def test_everflows_last_word_comes_from_report_fetches(sandbox, acme, publisher, monkeypatch) -> None:
    assert dashboard_health.everflow_status().status == "unknown"
    manager = actor(Role.ADVERTISER_MANAGER, acme.organization_id)
    dashboard_series(Target(acme.organization_id), Window(custom(7)), uow=uow_of(manager), actor=manager)
    assert dashboard_health.everflow_status().status == "up"
    monkeypatch.setenv("EVERFLOW_REPORT_MAX_RETRIES", "0")
    get_settings.cache_clear()
    get_reporting_client.cache_clear()
    sandbox.faults.set(error_rate=1.0)
    with pytest.raises(everflow_reports.ReportsUnavailable):
        dashboard_series(Target(acme.organization_id), Window(custom(8)), uow=uow_of(manager), actor=manager)
    status = dashboard_health.everflow_status()
    assert status.status == "down" and "unavailable" in (status.error or "")
    assert entity_calls(sandbox) == 2  # the health check itself asked nothing
