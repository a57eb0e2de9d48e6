"""Dashboard use cases: an organization's overview, charts, campaigns and one campaign, in two Everflow calls.

Every route of one organization reads the same two reports through the report cache, so a cold
dashboard (overview, three charts, campaigns) costs at most two Everflow calls and a warm one none:

1. the *series*: column `date` over the previous and the current period in one request (a custom
   period longer than 183 days passes Everflow's 367-day limit with its previous one: then the two
   periods are two requests, and a cold load with comparison costs three calls);
2. the *breakdown*: the organization type's entity columns over the current period (BREAKDOWN).

The overview fetches both side by side; charts need only the series, the campaign list only the
breakdown. A campaign's own page reads the series filtered to its offer (one call when cold).
Database figures (campaigns, links, counts) are read fresh on every request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from shared.adapters.everflow.reporting import EntityReport
from shared.caching import Cached, get_report_cache
from shared.db.uow import UnitOfWork
from shared.domain.dashboards import BREAKDOWN, DashboardKind
from shared.domain.errors import NotFound, ValidationFailed
from shared.domain.organizations import Organization
from shared.domain.paging import PageRequest, PageResult
from shared.domain.principal import Actor, TenantScope
from shared.domain.reporting import Metrics, Period
from shared.repositories import dashboards as queries
from shared.services import everflow_reports
from shared.services.dashboard_figures import Freshness, Point, by_day, period_total, points, ranked, revenue
from shared.services.dashboard_health import note_everflow, note_reports
from shared.services.dashboard_sections import Sections, sections
from shared.services.everflow_reports import LONGEST_REPORT_DAYS, EntityRequest, ReportsUnavailable
from shared.services.report_scope import TenantReportScope, report_scope

DATE = ("date",)


@dataclass(frozen=True)
class Target:
    """Whose dashboard: an organization (None: the caller's own) and the type the path names (None: any)."""

    organization_id: int | None = None
    kind: DashboardKind | None = None


@dataclass(frozen=True)
class Window:
    period: Period
    compare: bool = True

    @property
    def previous(self) -> Period | None:
        return self.period.previous() if self.compare else None


@dataclass(frozen=True)
class View:
    """An organization the caller may see, its reporting scope, and the scope its database figures are read in."""

    organization: Organization
    kind: DashboardKind
    scope: TenantReportScope
    reads: TenantScope

    def reader(self, uow: UnitOfWork) -> UnitOfWork:
        return uow if self.reads == uow.scope else UnitOfWork(self.reads)


@dataclass(frozen=True)
class Figures:
    current: Metrics
    previous: Metrics | None


@dataclass(frozen=True)
class Overview:
    organization: Organization
    kind: DashboardKind
    window: Window
    figures: Figures
    sections: Sections
    incomplete: bool
    freshness: Freshness


@dataclass(frozen=True)
class Series:
    organization: Organization
    window: Window
    figures: Figures
    points: list[Point]
    freshness: Freshness


@dataclass(frozen=True)
class CampaignPage:
    organization: Organization
    window: Window
    page: PageResult[queries.CampaignRow]
    by_offer: dict[str, Metrics]
    freshness: Freshness


@dataclass(frozen=True)
class CampaignView:
    organization: Organization
    campaign: queries.CampaignRow
    series: Series


def dashboard_overview(target: Target, window: Window, *, uow: UnitOfWork, actor: Actor) -> Overview:
    """The organization's figures of the period, compared, with its type's sections."""
    view = open_view(target, uow=uow, actor=actor)
    columns = BREAKDOWN[view.kind]
    requests = [*_series_requests(window), (window.period.start, window.period.end, columns)]
    *series, breakdown = _fetch(view.scope, requests, window.period.timezone)
    with view.reader(uow) as reader:
        found = sections(view.kind, view.scope, breakdown.value, reader)
    return Overview(view.organization, view.kind, window, _figures(series, window), found,
                    breakdown.value.incomplete, Freshness.of([*series, breakdown]))


def dashboard_series(target: Target, window: Window, *, uow: UnitOfWork, actor: Actor) -> Series:
    """The organization's daily (or weekly) figures of the period beside the previous period's."""
    view = open_view(target, uow=uow, actor=actor)
    return _series(view.organization, view.scope, window)


def dashboard_campaigns(target: Target, window: Window, page: PageRequest, *, uow: UnitOfWork,
                        actor: Actor) -> CampaignPage:
    """A page of the organization's campaigns (an affiliate's: those it has links for) with their figures."""
    view = open_view(target, uow=uow, actor=actor)
    with view.reader(uow) as reader:
        found = queries.campaigns_page(reader.session, _campaigns_of(view), page, reader.scope)
    period = window.period
    [breakdown] = _fetch(view.scope, [(period.start, period.end, BREAKDOWN[view.kind])], period.timezone)
    by_offer = {item.dimension.id: item.metrics
                for item in ranked(breakdown.value.rows, "offer", by=revenue)}
    return CampaignPage(view.organization, window, found, by_offer, Freshness.of([breakdown]))


def dashboard_campaign(target: Target, campaign_id: int, window: Window, *, uow: UnitOfWork,
                       actor: Actor) -> CampaignView:
    """One campaign of the organization with its figures and days; only its offer is asked for."""
    view = open_view(target, uow=uow, actor=actor)
    with view.reader(uow) as reader:
        campaign = queries.campaign(reader.session, campaign_id, _campaigns_of(view), reader.scope)
    if campaign is None:
        raise NotFound(f"Campaign {campaign_id} was not found.")
    offers = [int(campaign.offer_id)] if campaign.offer_id and campaign.offer_id.isdigit() else []
    # Narrowing never widens: an unsynced campaign gets an empty filter, answered without Everflow.
    scope = replace(view.scope, filter=view.scope.filter.narrow(offers=offers))
    return CampaignView(view.organization, campaign, _series(view.organization, scope, window))


def invalidate_dashboards(organization_id: int | None, *, uow: UnitOfWork, actor: Actor) -> int:
    """Drop the organization's cached reports (every instance moves on within a second); its id."""
    target = _organization_id(organization_id, actor)
    with uow:
        if uow.organizations.get(target, uow.scope) is None:
            raise NotFound(f"Organization {target} was not found.")
    get_report_cache().invalidate(f"org:{target}")
    return target


def open_view(target: Target, *, uow: UnitOfWork, actor: Actor) -> View:
    """The organization if the caller may see it and it is of the named type; NotFound otherwise."""
    organization_id = _organization_id(target.organization_id, actor)
    with uow:
        organization = uow.organizations.get(organization_id, uow.scope)
        kind = DashboardKind.of(organization.type) if organization else None
        if organization is None or (target.kind is not None and target.kind is not kind):
            raise NotFound(f"Organization {organization_id} was not found.")
        assert kind is not None
        if kind is not DashboardKind.PLATFORM:
            return View(organization, kind, report_scope(organization_id, uow=uow), uow.scope)
    # The platform owner's dashboard is the whole platform's: its members read every tenant's figures.
    everything = TenantScope.everything()
    with UnitOfWork(everything) as system:
        return View(organization, kind, report_scope(organization_id, uow=system), everything)


def _organization_id(organization_id: int | None, actor: Actor) -> int:
    if organization_id is not None:
        return organization_id
    own = actor.user.organization_id
    if own is None:
        raise NotFound("You belong to no organization, so there is no dashboard of yours.")
    return own


def _campaigns_of(view: View) -> queries.CampaignsOf:
    if view.kind is DashboardKind.PLATFORM:
        return queries.CampaignsOf(None)
    return queries.CampaignsOf(view.organization.organization_id, promoted=view.kind is DashboardKind.AFFILIATE)


def _series(organization: Organization, scope: TenantReportScope, window: Window) -> Series:
    period = window.period
    reports = _fetch(scope, _series_requests(window), period.timezone)
    days = by_day([item.value for item in reports], period.timezone)
    return Series(organization, window, _figures(reports, window), points(days, period, window.previous),
                  Freshness.of(reports))


def _series_requests(window: Window) -> list[EntityRequest]:
    """The series of the period and the one before, in one request when Everflow's range limit allows."""
    period, previous = window.period, window.period.previous()
    if (period.end - previous.start).days + 1 <= LONGEST_REPORT_DAYS:
        return [(previous.start, period.end, DATE)]  # also without comparison: all routes share this entry
    before = [(previous.start, previous.end, DATE)] if window.compare else []
    return [(period.start, period.end, DATE), *before]


def _figures(series: Sequence[Cached[EntityReport]], window: Window) -> Figures:
    days = by_day([item.value for item in series], window.period.timezone)
    previous = window.previous
    return Figures(period_total(days, window.period), period_total(days, previous) if previous else None)


def _fetch(scope: TenantReportScope, requests: list[EntityRequest], timezone: str) -> list[Cached[EntityReport]]:
    """The reports, side by side when not cached; 503 when Everflow fails and nothing is cached."""
    try:
        reports = everflow_reports.entity_reports(scope, requests, timezone)
    except ValidationFailed as exc:  # our requests are within Everflow's limits: only the zone can be refused
        raise ValidationFailed(exc.message, details=[{"field": "timezone", "location": "query",
                                                      "message": exc.message, "type": "value_error"}]) from exc
    except ReportsUnavailable as exc:
        note_everflow(ok=False, error=exc.message)
        raise ReportsUnavailable("Everflow reporting is unavailable and no figures of this period are cached; "
                                 "try again in a few minutes.") from exc
    note_reports(reports)
    return reports

