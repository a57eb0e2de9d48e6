"""The dashboard use cases' results rendered as the API's response models (shared/schemas/dashboards.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal, TypeVar

from shared.domain.organizations import Organization
from shared.domain.reporting import Metrics, Period, compare
from shared.repositories.dashboards import CampaignRow
from shared.schemas.dashboards import (
    CampaignDetail,
    CampaignFigures,
    CampaignList,
    Chart,
    ChartPoint,
    Client,
    Counts,
    DashboardOverview,
    EverflowHealth,
    LinkItem,
    Meta,
    MetricsRead,
    Number,
    OrganizationRef,
    OutboxRead,
    PeriodRead,
    Platform,
    Summary,
    SyncFailureRead,
    SyncHealth,
    SyncJobRead,
    SystemHealth,
    TopAdvertiser,
    TopAffiliate,
    TopCampaign,
    TrackingLinks,
)
from shared.services import dashboard_health as health_service
from shared.services.dashboard_figures import Freshness, Point, granularity
from shared.services.dashboard_sections import ClientFigures, LinkFigures, Links, Named, PlatformFigures
from shared.services.dashboards import CampaignPage, CampaignView, Figures, Overview, Series

T = TypeVar("T")
R = TypeVar("R")


CHART_SERIES: dict[str, tuple[str, ...]] = {
    "revenue": ("revenue", "payout", "profit"),
    "conversion": ("conversions", "unique_clicks", "cvr"),
    "performance": ("clicks", "unique_clicks", "conversions", "revenue", "payout"),
}


def meta(freshness: Freshness) -> Meta:
    return Meta(as_of=dt.datetime.fromtimestamp(freshness.fetched_at, dt.UTC),
                age_seconds=round(freshness.age_s(), 3), stale=freshness.stale,
                cache="hit" if freshness.hit or freshness.stale else "miss")


def period_read(period: Period | None) -> PeriodRead | None:
    return None if period is None else PeriodRead.model_validate(period.as_dict())


def metrics_read(metrics: Metrics) -> MetricsRead:
    return MetricsRead.model_validate(metrics.as_dict())


def summary(figures: Figures) -> Summary:
    previous = figures.previous
    return Summary(current=metrics_read(figures.current),
                   previous=None if previous is None else metrics_read(previous),
                   change=None if previous is None else compare(figures.current, previous))


def organization_ref(organization: Organization) -> OrganizationRef:
    return OrganizationRef(organization_id=organization.organization_id, name=organization.name,
                           type=organization.type.value)


def overview_read(overview: Overview) -> DashboardOverview:
    window, found = overview.window, overview.sections
    return DashboardOverview(
        organization=organization_ref(overview.organization), dashboard_type=overview.kind.value,
        period=PeriodRead.model_validate(window.period.as_dict()), previous_period=period_read(window.previous),
        summary=summary(overview.figures), top_campaigns=[_campaign(item) for item in found.top_campaigns],
        top_affiliates=_each(found.top_affiliates, _affiliate), top_advertisers=_each(found.top_advertisers,
                                                                                      _advertiser),
        clients=_each(found.clients, _client), tracking_links=_links(found.links),
        platform=_platform(found.platform), incomplete=overview.incomplete, meta=meta(overview.freshness))


def chart_read(chart: Literal["revenue", "conversion", "performance"], series: Series) -> Chart:
    names = CHART_SERIES[chart]
    window, figures = series.window, series.figures
    return Chart(chart=chart, organization=organization_ref(series.organization),
                 period=PeriodRead.model_validate(window.period.as_dict()),
                 previous_period=period_read(window.previous),
                 granularity=granularity(window.period), series=list(names),
                 points=[_point(point, names) for point in series.points], totals=_values(figures.current, names),
                 previous_totals=None if figures.previous is None else _values(figures.previous, names),
                 meta=meta(series.freshness))


def campaign_list_read(found: CampaignPage) -> CampaignList:
    page = found.page
    return CampaignList(
        organization=organization_ref(found.organization),
        period=PeriodRead.model_validate(found.window.period.as_dict()),
        campaigns=[_figures(row, found.by_offer.get(row.offer_id or "", Metrics())) for row in page.items],
        total=page.total, page=page.page.page, page_size=page.page.page_size, total_pages=page.total_pages,
        total_is_lower_bound=page.total_is_lower_bound, meta=meta(found.freshness))


def campaign_detail_read(found: CampaignView) -> CampaignDetail:
    series = found.series
    return CampaignDetail(
        organization=organization_ref(found.organization), campaign=_figures(found.campaign, series.figures.current),
        period=PeriodRead.model_validate(series.window.period.as_dict()),
        previous_period=period_read(series.window.previous), summary=summary(series.figures),
        points=[_point(point, CHART_SERIES["performance"]) for point in series.points], meta=meta(series.freshness))


def system_health_read(health: health_service.SystemHealth) -> SystemHealth:
    everflow = health.everflow
    checked = None if everflow.checked_at is None else dt.datetime.fromtimestamp(everflow.checked_at, dt.UTC)
    return SystemHealth(status=health.status, database=health.database, redis=health.redis,
                        everflow=EverflowHealth(status=everflow.status, checked_at=checked, error=everflow.error),
                        sync=None if health.sync is None else sync_health(health.sync, health.checked_at),
                        report_cache=health.report_cache, checked_at=health.checked_at)


def sync_health(report: health_service.SyncReport, now: dt.datetime) -> SyncHealth:
    oldest = report.outbox.oldest
    job = report.latest_job
    return SyncHealth(
        mappings=report.mappings, pending=report.count("pending"), failed=report.count("failed"),
        out_of_sync=report.count("out_of_sync"),
        recent_failures=[SyncFailureRead(kind=item.kind, entity_id=item.entity_id, organization_id=item.organization_id,
                                         error=item.error, at=item.at) for item in report.recent_failures],
        outbox=OutboxRead(unpublished=report.outbox.unpublished, oldest_at=oldest,
                          oldest_age_seconds=None if oldest is None else round((now - oldest).total_seconds(), 3)),
        latest_sync_job=None if job is None else SyncJobRead.model_validate(job, from_attributes=True))


def _each(items: list[T] | None, render: Callable[[T], R]) -> list[R] | None:
    return None if items is None else [render(item) for item in items]


def _values(metrics: Metrics, names: tuple[str, ...]) -> dict[str, Number]:
    shown = metrics.as_dict()
    return {name: shown[name] for name in names}


def _point(point: Point, names: tuple[str, ...]) -> ChartPoint:
    return ChartPoint(day=point.index, date=point.day, values=_values(point.metrics, names),
                      previous_date=point.previous_day,
                      previous=None if point.previous is None else _values(point.previous, names))


def _campaign(item: Named) -> TopCampaign:
    entity, dimension = item.entity, item.ranked.dimension
    return TopCampaign(campaign_id=entity.entity_id if entity else None,
                       name=entity.name if entity else dimension.label, status=entity.status if entity else None,
                       network_offer_id=dimension.id,
                       metrics=metrics_read(item.ranked.metrics))


def _affiliate(item: Named) -> TopAffiliate:
    entity, dimension = item.entity, item.ranked.dimension
    return TopAffiliate(affiliate_id=entity.entity_id if entity else None,
                        name=entity.name if entity else dimension.label, network_affiliate_id=dimension.id,
                        metrics=metrics_read(item.ranked.metrics))


def _advertiser(item: Named) -> TopAdvertiser:
    entity, dimension = item.entity, item.ranked.dimension
    return TopAdvertiser(advertiser_id=entity.entity_id if entity else None,
                         name=entity.name if entity else dimension.label, network_advertiser_id=dimension.id,
                         metrics=metrics_read(item.ranked.metrics))


def _client(client: ClientFigures) -> Client:
    advertiser = _advertiser(client.advertiser)
    return Client(advertiser_id=advertiser.advertiser_id, name=advertiser.name,
                  network_advertiser_id=advertiser.network_advertiser_id, metrics=advertiser.metrics,
                  top_campaigns=[_campaign(item) for item in client.top_campaigns])


def _link(item: LinkFigures) -> LinkItem:
    link = item.link
    return LinkItem(tracking_link_id=link.tracking_link_id, name=link.name, status=link.status,
                    tracking_url=link.tracking_url, created_at=link.created_at, campaign_id=link.campaign_id,
                    campaign_name=link.campaign_name, affiliate_id=link.affiliate_id,
                    affiliate_name=link.affiliate_name, metrics=None if item.metrics is None else metrics_read(
                        item.metrics))


def _links(links: Links | None) -> TrackingLinks | None:
    if links is None:
        return None
    return TrackingLinks(total=sum(links.by_status.values()), by_status=links.by_status,
                         recent=[_link(item) for item in links.recent], top=[_link(item) for item in links.top])


def _platform(figures: PlatformFigures | None) -> Platform | None:
    if figures is None:
        return None
    by_type: dict[str, dict[str, int]] = {}
    for kind, status, count in figures.organizations:
        by_type.setdefault(kind, {})[status] = count
    return Platform(organizations=Counts(total=sum(count for _, _, count in figures.organizations), by=by_type),
                    users=Counts(total=sum(figures.users.values()), by=figures.users),
                    sync_health=sync_health(figures.sync, dt.datetime.now(dt.UTC)))


def _figures(row: CampaignRow, metrics: Metrics) -> CampaignFigures:
    return CampaignFigures(campaign_id=row.campaign_id, name=row.name, status=row.status,
                           advertiser_id=row.advertiser_id, network_offer_id=row.offer_id,
                           metrics=metrics_read(metrics))
