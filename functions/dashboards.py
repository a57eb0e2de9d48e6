"""dashboard-api: dashboards per organization type, their charts, campaigns and the platform's health."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import flask
import functions_framework

from shared.db.uow import UnitOfWork
from shared.domain.dashboards import DashboardKind
from shared.http.router import Call, Reply, Router, page_headers
from shared.schemas.dashboard_render import (
    campaign_detail_read,
    campaign_list_read,
    chart_read,
    overview_read,
    system_health_read,
)
from shared.schemas.dashboards import (
    CacheInvalidated,
    CacheInvalidateQuery,
    CampaignDetail,
    CampaignList,
    Chart,
    DashboardOverview,
    DashboardQuery,
    SystemHealth,
)
from shared.services import dashboard_health
from shared.services import dashboards as service
from shared.services.dashboard_figures import Freshness

router = Router("dashboard-api", tag="Dashboards")
ID = "<int(min=1, max=9223372036854775807):{}>"
KINDS = ", ".join(kind.value for kind in DashboardKind)
DASHBOARD = "/api/v1/dashboard"
ONE = f"{DASHBOARD}/<any({KINDS}):org_type>/{ID.format('organization_id')}"
ANALYTICS = f"/api/v1/organizations/{ID.format('organization_id')}/analytics"
CACHE_HEADER = "X-Cache"


def _target(call: Call) -> service.Target:
    return service.Target(call.params["organization_id"], DashboardKind(call.params["org_type"]))


def _window(call: Call) -> service.Window:
    query: DashboardQuery = call.query
    return service.Window(query.resolve(dt.datetime.now(dt.UTC)), query.compare)


def _uow(call: Call) -> UnitOfWork:
    return UnitOfWork(call.actor.scope)


def _fresh(body: object, freshness: Freshness, headers: dict[str, str] | None = None) -> Reply:
    return Reply(body, headers={CACHE_HEADER: freshness.header, **(headers or {})})


def _overview(call: Call, target: service.Target) -> Reply:
    found = service.dashboard_overview(target, _window(call), uow=_uow(call), actor=call.actor)
    return _fresh(overview_read(found), found.freshness)


@router.route("GET", ONE, action="dashboards.read", query=DashboardQuery, response=DashboardOverview,
              summary="An organization's dashboard (orgType: advertiser, affiliate, agency or platform)")
def overview(call: Call) -> Reply:
    return _overview(call, _target(call))


@router.route("GET", DASHBOARD, action="dashboards.read", query=DashboardQuery, response=DashboardOverview,
              summary="Your organization's dashboard (its type decides the content)")
def own_overview(call: Call) -> Reply:
    return _overview(call, service.Target())


@router.route("GET", ANALYTICS, action="dashboards.read", query=DashboardQuery, response=DashboardOverview,
              summary="An organization's dashboard, whatever its type")
def organization_analytics(call: Call) -> Reply:
    return _overview(call, service.Target(call.params["organization_id"]))


def _chart(call: Call, chart: Literal["revenue", "conversion", "performance"]) -> Reply:
    series = service.dashboard_series(_target(call), _window(call), uow=_uow(call), actor=call.actor)
    return _fresh(chart_read(chart, series), series.freshness)


@router.route("GET", f"{ONE}/revenue-chart", action="dashboards.read", query=DashboardQuery, response=Chart,
              summary="Daily revenue, payout and profit beside the previous period's")
def revenue_chart(call: Call) -> Reply:
    return _chart(call, "revenue")


@router.route("GET", f"{ONE}/conversion-chart", action="dashboards.read", query=DashboardQuery, response=Chart,
              summary="Daily conversions, unique clicks and conversion rate beside the previous period's")
def conversion_chart(call: Call) -> Reply:
    return _chart(call, "conversion")


@router.route("GET", f"{ONE}/performance-chart", action="dashboards.read", query=DashboardQuery, response=Chart,
              summary="Daily clicks, conversions, revenue and payout beside the previous period's")
def performance_chart(call: Call) -> Reply:
    return _chart(call, "performance")


@router.route("GET", f"{ONE}/campaigns", action="dashboards.read", query=DashboardQuery, response=CampaignList,
              paged=True, summary="The organization's campaigns (an affiliate's: those it has links for), "
                                  "newest first, with their figures of the period")
def campaigns(call: Call) -> Reply:
    found = service.dashboard_campaigns(_target(call), _window(call), call.page, uow=_uow(call), actor=call.actor)
    return _fresh(campaign_list_read(found), found.freshness, page_headers(found.page))


@router.route("GET", f"{ONE}/campaigns/{ID.format('campaign_id')}", action="dashboards.read", query=DashboardQuery,
              response=CampaignDetail, summary="One campaign of the organization with its figures and days")
def campaign(call: Call) -> Reply:
    found = service.dashboard_campaign(_target(call), call.params["campaign_id"], _window(call), uow=_uow(call),
                                       actor=call.actor)
    return _fresh(campaign_detail_read(found), found.series.freshness)


@router.route("POST", f"{DASHBOARD}/cache/invalidate", action="dashboards.manage", query=CacheInvalidateQuery,
              response=CacheInvalidated, summary="Refetch your organization's dashboard figures on the next load")
def invalidate_cache(call: Call) -> CacheInvalidated:
    organization_id = service.invalidate_dashboards(call.query.organization_id, uow=_uow(call), actor=call.actor)
    return CacheInvalidated(organization_id=organization_id, invalidated=True)


@router.route("GET", f"{DASHBOARD}/system/health", action="system.health", response=SystemHealth,
              summary="Sync state, outbox backlog, database, Redis and Everflow (as the last report fetch found it)")
def system_health(call: Call) -> Reply:
    health = dashboard_health.system_health(uow=_uow(call))
    return Reply(system_health_read(health), status=503 if health.status == "DOWN" else 200)


@functions_framework.http
def dashboard_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
