"""What each organization type's dashboard shows beyond its totals, from its breakdown report and our database.

- advertiser: its best campaigns and the affiliates that ran them (by revenue);
- affiliate: its best campaigns and affiliates (by payout: its earnings) and its tracking links;
- agency: its client advertisers with their totals and best campaigns;
- platform: best campaigns, affiliates and advertisers network-wide, organizations, users, sync health.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from shared.adapters.everflow.reporting import Dimension, EntityReport, EntityRow
from shared.db.uow import UnitOfWork
from shared.domain.dashboards import DashboardKind
from shared.domain.reporting import MappedEntity, Metrics
from shared.repositories import dashboards as queries
from shared.services.dashboard_figures import TOP, Ranked, payout, ranked, revenue, rows_of
from shared.services.dashboard_health import SyncReport, sync_report
from shared.services.report_scope import TenantReportScope

CLIENT_CAMPAIGNS = 5
MAX_CLIENTS = 100
Rank = Callable[[Metrics], int]


@dataclass(frozen=True)
class Named:
    """A ranked breakdown entity and our entity behind it (None when we do not know its Everflow id)."""

    ranked: Ranked
    entity: MappedEntity | None


@dataclass(frozen=True)
class ClientFigures:
    advertiser: Named
    top_campaigns: list[Named]


@dataclass(frozen=True)
class LinkFigures:
    link: queries.LinkRow
    metrics: Metrics | None  # its (offer, affiliate) pair's; None until both are synced


@dataclass(frozen=True)
class Links:
    by_status: dict[str, int]
    recent: list[LinkFigures]
    top: list[LinkFigures]


@dataclass(frozen=True)
class PlatformFigures:
    organizations: list[tuple[str, str, int]]  # (type, status, count)
    users: dict[str, int]  # role name -> count
    sync: SyncReport


@dataclass(frozen=True)
class Sections:
    top_campaigns: list[Named]
    top_affiliates: list[Named] | None = None
    top_advertisers: list[Named] | None = None
    clients: list[ClientFigures] | None = None
    links: Links | None = None
    platform: PlatformFigures | None = None


@dataclass(frozen=True)
class _Context:
    scope: TenantReportScope
    report: EntityReport
    uow: UnitOfWork  # open

    def top(self, column: str, rows: Iterable[EntityRow], by: Rank, limit: int = TOP) -> list[Named]:
        return self.named(column, ranked(rows, column, by=by)[:limit])

    def named(self, column: str, items: list[Ranked]) -> list[Named]:
        """Our entities behind the items: from the scope's lookups, else looked up on either side."""
        lookup = {"offer": self.scope.campaign, "affiliate": self.scope.affiliate,
                  "advertiser": self.scope.advertiser}[column]
        found = {item.dimension.id: lookup(item.dimension.id) for item in items}
        missing = [key for key, entity in found.items() if entity is None]
        if missing:
            found |= queries.by_network_id(self.uow.session, column, missing, self.uow.scope)
        return [Named(item, found.get(item.dimension.id)) for item in items]


def sections(kind: DashboardKind, scope: TenantReportScope, report: EntityReport, uow: UnitOfWork) -> Sections:
    """The sections of a dashboard of `kind`; `uow` is open in the dashboard's read scope."""
    return BUILDERS[kind](_Context(scope, report, uow))


def _advertiser(ctx: _Context) -> Sections:
    rows = ctx.report.rows
    return Sections(ctx.top("offer", rows, revenue), top_affiliates=ctx.top("affiliate", rows, revenue))


def _affiliate(ctx: _Context) -> Sections:
    rows = ctx.report.rows
    return Sections(ctx.top("offer", rows, payout), top_affiliates=ctx.top("affiliate", rows, payout),
                    links=_links(ctx))


def _agency(ctx: _Context) -> Sections:
    rows = ctx.report.rows
    return Sections(ctx.top("offer", rows, revenue), clients=_clients(ctx))


def _platform(ctx: _Context) -> Sections:
    rows, session = ctx.report.rows, ctx.uow.session
    figures = PlatformFigures(queries.organization_counts(session), queries.user_counts(session),
                              sync_report(ctx.uow))
    return Sections(ctx.top("offer", rows, revenue), top_affiliates=ctx.top("affiliate", rows, revenue),
                    top_advertisers=ctx.top("advertiser", rows, revenue), platform=figures)


def _clients(ctx: _Context) -> list[ClientFigures]:
    """Every client advertiser the scope knows, with traffic first (a quiet client still shows, with zeros)."""
    active = ranked(ctx.report.rows, "advertiser", by=revenue)
    seen = {item.dimension.id for item in active}
    quiet = [Ranked(Dimension(str(item.provider_id), item.name), Metrics())
             for item in ctx.scope.advertisers.values() if str(item.provider_id) not in seen]
    clients = ctx.named("advertiser", (active + quiet)[:MAX_CLIENTS])
    return [ClientFigures(client, ctx.top("offer", rows_of(ctx.report, "advertiser", client.ranked.dimension.id),
                                          revenue, CLIENT_CAMPAIGNS)) for client in clients]


def _links(ctx: _Context) -> Links:
    """The affiliate organization's links by status, its newest, and those of its best-earning pairs."""
    session, organization_id, scope = ctx.uow.session, ctx.scope.organization_id, ctx.uow.scope
    pairs: dict[tuple[str, str], Metrics] = {}
    for row in ctx.report.rows:
        key = (row.dims["offer"].id, row.dims["affiliate"].id)
        pairs[key] = pairs.get(key, Metrics()) + row.metrics
    best = sorted(pairs, key=lambda key: (-pairs[key].payout_cents, -pairs[key].conversions, key))[:TOP]
    rank = {key: index for index, key in enumerate(best)}
    top = queries.links_of_pairs(session, organization_id, best, scope, limit=TOP)
    top.sort(key=lambda link: (rank.get((link.offer_id or "", link.network_affiliate_id or ""), TOP),
                               -link.tracking_link_id))

    def figures(link: queries.LinkRow) -> LinkFigures:
        if link.offer_id is None or link.network_affiliate_id is None:
            return LinkFigures(link, None)
        return LinkFigures(link, pairs.get((link.offer_id, link.network_affiliate_id), Metrics()))

    return Links(queries.link_status_counts(session, organization_id),
                 [figures(link) for link in queries.recent_links(session, organization_id, scope, limit=TOP)],
                 [figures(link) for link in top])


BUILDERS: dict[DashboardKind, Callable[[_Context], Sections]] = {
    DashboardKind.ADVERTISER: _advertiser,
    DashboardKind.AFFILIATE: _affiliate,
    DashboardKind.AGENCY: _agency,
    DashboardKind.PLATFORM: _platform,
}
