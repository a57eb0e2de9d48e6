"""Report use cases: performance summaries, time series and daily rows, conversions and clicks of one tenant.

Every report is scoped to one organization (the caller's, or one an Admin or PlatformOwner names) and
narrowed to the campaigns and affiliate the caller asks for, which must be its own. Every Everflow call
goes through `everflow_reports` (cached, tenant-filtered); an organization without synced entities gets
empty reports without any call. Rows are searched, sorted and paged here, from one cached answer, except
conversions in Everflow's own order (newest first), which are paged by Everflow itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shared.adapters.everflow.reporting import MAX_STREAMED_CLICKS, Conversion, ConversionPage, EntityReport
from shared.caching import Cached
from shared.db.uow import UnitOfWork
from shared.domain.errors import NotFound, ValidationFailed
from shared.domain.principal import Actor, TenantScope
from shared.domain.reporting import zone
from shared.domain.reports import (
    EXPORT_ROW_LIMIT,
    SORT_FETCH_LIMIT,
    ConversionSort,
    Granularity,
    Listing,
    Provenance,
    Report,
    ReportRequest,
    Row,
    Sourced,
    arranged,
    check_click_window,
    check_export_size,
    matching,
)
from shared.services import everflow_reports
from shared.services.report_rows import campaign_row, click_row, conversion_row, daily_row, point
from shared.services.report_scope import TenantReportScope, report_scope

FETCH_PAGE_SIZE = 1_000  # conversions read in bulk (to sort or export them): Everflow allows up to 2,000
LONGEST_HOURLY_DAYS = everflow_reports.LONGEST_HOURLY_DAYS
CAMPAIGN_TIES = ("campaign_name", "everflow_offer_id")
SEARCHED = ("campaign_name", "affiliate_name")


def performance_summary(request: ReportRequest, listing: Listing, *, uow: UnitOfWork, actor: Actor) -> Report:
    """Totals of the period and one row per campaign (Everflow offer), sorted."""
    scope = tenant_scope(request, uow=uow, actor=actor)
    cached = _entity(scope, request, ["offer"])
    rows = [campaign_row(scope, row) for row in cached.value.rows]
    rows = arranged(rows, listing.sort_by, descending=listing.descending, ties=CAMPAIGN_TIES)
    return _report(scope, request, rows, len(rows), sources=[cached], truncated=cached.value.incomplete,
                   entity=cached.value)


def performance_timeseries(request: ReportRequest, granularity: Granularity, *, uow: UnitOfWork,
                           actor: Actor) -> Report:
    """Totals of the period and one point per hour, day, week or month that had traffic, oldest first."""
    if granularity is Granularity.HOURLY and request.period.days > LONGEST_HOURLY_DAYS:
        raise ValidationFailed(
            f"An hourly series covers at most {LONGEST_HOURLY_DAYS} days; this range has {request.period.days}.",
            details=[_field("granularity", "range_too_long",
                            f"hourly needs a range of at most {LONGEST_HOURLY_DAYS} days")])
    scope = tenant_scope(request, uow=uow, actor=actor)
    cached = _entity(scope, request, [granularity.column])
    points = sorted((point(row, granularity.column) for row in cached.value.rows),
                    key=lambda item: (item["position"] is None, item["position"] or 0, item["period"]))
    return _report(scope, request, points, len(points), sources=[cached], truncated=cached.value.incomplete,
                   entity=cached.value)


def performance_daily(request: ReportRequest, listing: Listing, *, uow: UnitOfWork, actor: Actor) -> Report:
    """One row per day and campaign, searched by campaign name, sorted, one page (or all of them)."""
    scope = tenant_scope(request, uow=uow, actor=actor)
    cached = _entity(scope, request, ["date", "offer"])
    rows = matching((daily_row(scope, row) for row in cached.value.rows), request.search, ("campaign_name",))
    rows = arranged(rows, listing.sort_by, descending=listing.descending, ties=("date", *CAMPAIGN_TIES))
    return _listed(scope, request, listing, rows, sources=[cached], truncated=cached.value.incomplete)


def list_conversions(request: ReportRequest, listing: Listing, *, uow: UnitOfWork, actor: Actor) -> Report:
    """Conversions, newest first by default (paged by Everflow); other orders sort up to SORT_FETCH_LIMIT."""
    scope = tenant_scope(request, uow=uow, actor=actor)
    period, local = request.period, zone(request.period.timezone)
    if _everflow_order(request, listing):
        cached = everflow_reports.conversions(scope, period.start, period.end, period.timezone, page=listing.page,
                                              page_size=listing.limit, status=_status(request))
        rows = [conversion_row(scope, item, local) for item in cached.value.conversions]
        return _report(scope, request, rows, cached.value.total, sources=[cached])
    found, pages, available = _conversions_in_bulk(scope, request)
    rows = matching((conversion_row(scope, item, local) for item in found), request.search,
                    (*SEARCHED, "conversion_id", "transaction_id"))
    rows = arranged(rows, listing.sort_by, descending=listing.descending, ties=("conversion_time", "conversion_id"))
    return _listed(scope, request, listing, rows, sources=pages, truncated=available > len(found))


def list_clicks(request: ReportRequest, listing: Listing, *, uow: UnitOfWork, actor: Actor) -> Report:
    """Raw clicks of at most 14 days (one Everflow call per window), searched, sorted and paged here."""
    check_click_window(request.period)
    scope = tenant_scope(request, uow=uow, actor=actor)
    period, local = request.period, zone(request.period.timezone)
    cached = everflow_reports.clicks(scope, period.start, period.end, period.timezone, page=1,
                                     page_size=MAX_STREAMED_CLICKS)
    rows = matching((click_row(scope, item, local) for item in cached.value.clicks), request.search,
                    (*SEARCHED, "transaction_id"))
    rows = arranged(rows, listing.sort_by, descending=listing.descending, ties=("click_time", "transaction_id"))
    return _listed(scope, request, listing, rows, sources=[cached], truncated=cached.value.incomplete)


def tenant_scope(request: ReportRequest, *, uow: UnitOfWork, actor: Actor) -> TenantReportScope:
    """The organization's reporting scope, narrowed to the asked campaigns and affiliate.

    Those must be ones the organization may name: its own, or its partners' (an advertiser's partner
    affiliates, an affiliate's partner campaigns), synced to Everflow.
    """
    organization_id = request.organization_id or actor.user.organization_id
    if organization_id is None:
        raise NotFound("You belong to no organization: name one with organizationId.")
    with uow:
        # The directory (system scope) names the partners' campaigns and affiliates the organization may see,
        # so rows carry our ids for them and they can narrow a report; the filter stays the organization's.
        scope = report_scope(organization_id, uow=uow, directory=UnitOfWork(TenantScope.everything()))
    _check_own(request.campaign_ids or (), scope.offer_ids, "campaignIds", "campaign")
    affiliates = None if request.affiliate_id is None else (request.affiliate_id,)
    _check_own(affiliates or (), scope.affiliate_ids, "affiliateId", "affiliate")
    return scope.narrowed(campaign_ids=request.campaign_ids, affiliate_ids=affiliates)


def _check_own(ids: Sequence[int], everflow_ids: Callable[[Sequence[int]], frozenset[int]], field: str,
               kind: str) -> None:
    """422 naming every id the scope cannot translate: another tenant's, unknown, or not in Everflow yet."""
    unknown = [entity_id for entity_id in ids if not everflow_ids([entity_id])]
    if unknown:
        names = ", ".join(map(str, unknown))
        raise ValidationFailed(
            f"Not a {kind} you can report on (unknown, another organization's, or not synced to Everflow): {names}.",
            details=[_field(field, f"unknown_{kind}", f"{kind} {entity_id} is not one of yours in Everflow")
                     for entity_id in unknown])


def _field(name: str, kind: str, message: str) -> dict[str, str]:
    return {"field": name, "location": "query", "type": kind, "message": message}


def _entity(scope: TenantReportScope, request: ReportRequest, columns: list[str]) -> Cached[EntityReport]:
    period = request.period
    return everflow_reports.entity_report(scope, period.start, period.end, period.timezone, columns)


def _everflow_order(request: ReportRequest, listing: Listing) -> bool:
    """Newest first with nothing to search here: Everflow's own pages (of one status, if asked) are the answer."""
    return (listing.sort_by == ConversionSort.TIME.value and listing.descending and not request.export
            and request.search is None)


def _status(request: ReportRequest) -> str | None:
    return None if request.status is None else request.status.value


def _conversions_in_bulk(scope: TenantReportScope, request: ReportRequest,
                         ) -> tuple[list[Conversion], list[Sourced], int]:
    """Up to the cap (the export limit, else SORT_FETCH_LIMIT) of the period's conversions, and how many exist.

    An export past the limit is refused after the first page, before paging on.
    """
    period = request.period

    def page(number: int) -> Cached[ConversionPage]:
        return everflow_reports.conversions(scope, period.start, period.end, period.timezone, page=number,
                                            page_size=FETCH_PAGE_SIZE, status=_status(request))

    first = page(1)
    available = first.value.total
    if request.export:
        check_export_size(available, EXPORT_ROW_LIMIT)
    cap = EXPORT_ROW_LIMIT if request.export else SORT_FETCH_LIMIT
    pages = [first, *(page(number) for number in range(2, -(-min(available, cap) // FETCH_PAGE_SIZE) + 1))]
    # Conversions arriving between two page reads shift the pages: a record seen twice counts once.
    found = {item.conversion_id: item for cached in pages for item in cached.value.conversions}
    return list(found.values())[:cap], list[Sourced](pages), available


def _listed(scope: TenantReportScope, request: ReportRequest, listing: Listing, rows: list[Row], *,
            sources: Sequence[Sourced], truncated: bool) -> Report:
    """One page of the rows, or all of them for an export (refused past EXPORT_ROW_LIMIT)."""
    if request.export:
        check_export_size(len(rows), EXPORT_ROW_LIMIT)
        return _report(scope, request, rows, len(rows), sources=sources, truncated=truncated)
    return _report(scope, request, listing.window(rows), len(rows), sources=sources, truncated=truncated)


def _report(scope: TenantReportScope, request: ReportRequest, rows: list[Row], total: int, *,
            sources: Sequence[Sourced], truncated: bool = False, entity: EntityReport | None = None) -> Report:
    provenance = Provenance() if scope.filter.is_empty else Provenance.of(*sources)
    return Report(scope.organization_id, request.period, rows, total, provenance, truncated,
                  entity.summary if entity else None)
