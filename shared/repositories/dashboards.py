"""Read-model SQL of the dashboards: platform counts, sync health, an affiliate organization's links, campaigns.

The platform's figures span every tenant, so their statements run in a cross-tenant transaction (the
service opens it only for platform dashboards and the health route). Some figures name entities of
the other side of a partnership, which row-level security hides: an affiliate organization's links
and the campaigns they promote, and the entities behind Everflow ids of the tenant's own report.
Those statements are restricted to exactly those rows, and only they run with the cross-tenant flag
(`_across_sides`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.db.session import Row, Session
from shared.domain.paging import TOTAL_CAP, PageRequest, PageResult
from shared.domain.principal import TenantScope
from shared.domain.reporting import MappedEntity

MAPPING_TABLES = {
    "advertiser": "advertiser_provider_mappings",
    "affiliate": "affiliate_provider_mappings",
    "campaign": "campaign_provider_mappings",
    "tracking_link": "tracking_link_provider_mappings",
}
SYNC_STATUS = " UNION ALL ".join(
    f"SELECT '{kind}' AS kind, sync_status, count(*) AS n FROM {table} GROUP BY sync_status"
    for kind, table in MAPPING_TABLES.items())
RECENT_FAILURES = " UNION ALL ".join(
    f"(SELECT '{kind}' AS kind, {kind}_id AS entity_id, organization_id, sync_error, updated_at FROM {table}"
    f" WHERE sync_status = 'failed' ORDER BY updated_at DESC LIMIT :limit)"
    for kind, table in MAPPING_TABLES.items())
# A campaign with its Everflow offer id (NULL until it is synced).
CAMPAIGN_COLUMNS = ("c.campaign_id, c.organization_id, c.advertiser_id, c.name, c.status, c.created_at,"
                    " m.provider_offer_id")
CAMPAIGN_SOURCE = ("campaigns c LEFT JOIN campaign_provider_mappings m ON m.campaign_id = c.campaign_id"
                   " AND m.provider_type = 'everflow'")
# Campaigns an affiliate organization promotes: those it has tracking links for.
PROMOTED = "c.campaign_id IN (SELECT campaign_id FROM tracking_links WHERE affiliate_org_id = :org)"
OF_ORGANIZATION = "c.organization_id = :org"
# Everflow id -> our entity, per report column: (mapping table, its provider id column, entity table, entity id).
NETWORK_IDS = {
    "offer": ("campaign_provider_mappings", "provider_offer_id", "campaigns", "campaign_id"),
    "affiliate": ("affiliate_provider_mappings", "provider_affiliate_id", "affiliates", "affiliate_id"),
    "advertiser": ("advertiser_provider_mappings", "provider_advertiser_id", "advertisers", "advertiser_id"),
}
LINK_COLUMNS = ("t.tracking_link_id, t.name, t.status, t.tracking_url, t.created_at, t.campaign_id,"
                " c.name AS campaign_name, c.status AS campaign_status, t.affiliate_id, a.name AS affiliate_name,"
                " cm.provider_offer_id, am.provider_affiliate_id")
LINK_SOURCE = ("tracking_links t JOIN campaigns c ON c.campaign_id = t.campaign_id"
               " JOIN affiliates a ON a.affiliate_id = t.affiliate_id"
               " LEFT JOIN campaign_provider_mappings cm ON cm.campaign_id = t.campaign_id"
               " AND cm.provider_type = 'everflow'"
               " LEFT JOIN affiliate_provider_mappings am ON am.affiliate_id = t.affiliate_id"
               " AND am.provider_type = 'everflow'")


@dataclass(frozen=True)
class CampaignRow:
    campaign_id: int
    organization_id: int
    advertiser_id: int
    name: str
    status: str
    created_at: datetime
    offer_id: str | None  # the Everflow offer, once synced


@dataclass(frozen=True)
class LinkRow:
    tracking_link_id: int
    name: str
    status: str
    tracking_url: str | None
    created_at: datetime
    campaign_id: int
    campaign_name: str
    campaign_status: str
    affiliate_id: int
    affiliate_name: str
    offer_id: str | None
    network_affiliate_id: str | None


@dataclass(frozen=True)
class SyncFailure:
    kind: str
    entity_id: int
    organization_id: int
    error: str | None
    at: datetime


@dataclass(frozen=True)
class OutboxBacklog:
    unpublished: int
    oldest: datetime | None


def organization_counts(session: Session) -> list[tuple[str, str, int]]:
    """(type, status, count) of every organization the transaction may see."""
    rows = session.fetch_all("SELECT type, status, count(*) AS n FROM organizations GROUP BY type, status"
                             " ORDER BY type, status")
    return [(row["type"], row["status"], int(row["n"])) for row in rows]


def user_counts(session: Session) -> dict[str, int]:
    """Profiles by role name."""
    rows = session.fetch_all("SELECT r.name, count(*) AS n FROM profiles p JOIN roles r ON r.role_id = p.role_id"
                             " GROUP BY r.name ORDER BY r.name")
    return {row["name"]: int(row["n"]) for row in rows}


def sync_status_counts(session: Session) -> dict[str, dict[str, int]]:
    """Mappings per entity kind and sync status (kinds without mappings are absent)."""
    counts: dict[str, dict[str, int]] = {}
    for row in session.fetch_all(SYNC_STATUS):
        counts.setdefault(row["kind"], {})[row["sync_status"]] = int(row["n"])
    return counts


def recent_sync_failures(session: Session, *, limit: int) -> list[SyncFailure]:
    """The latest failed mappings of any kind, newest first."""
    rows = session.fetch_all(f"SELECT * FROM ({RECENT_FAILURES}) AS failed ORDER BY updated_at DESC LIMIT :limit",
                             limit=limit)
    return [SyncFailure(row["kind"], int(row["entity_id"]), int(row["organization_id"]), row["sync_error"],
                        row["updated_at"]) for row in rows]


def outbox_backlog(session: Session) -> OutboxBacklog:
    """Events not yet published, and when the oldest of them was written (the partial index serves both)."""
    row = session.fetch_one("SELECT count(*) AS n, min(created_at) AS oldest FROM outbox WHERE published_at IS NULL")
    assert row is not None
    return OutboxBacklog(int(row["n"]), row["oldest"])


def link_status_counts(session: Session, affiliate_org_id: int) -> dict[str, int]:
    """The tracking links of an affiliate organization by status (its own rows: no flag needed)."""
    rows = session.fetch_all("SELECT status, count(*) AS n FROM tracking_links WHERE affiliate_org_id = :org"
                             " GROUP BY status", org=affiliate_org_id)
    return {row["status"]: int(row["n"]) for row in rows}


def recent_links(session: Session, affiliate_org_id: int, scope: TenantScope, *, limit: int) -> list[LinkRow]:
    """The newest live links of an affiliate organization, with their campaign and both Everflow ids."""
    rows = _across_sides(session, scope, f"SELECT {LINK_COLUMNS} FROM {LINK_SOURCE} WHERE t.affiliate_org_id = :org"
                                         " AND t.status <> 'archived' ORDER BY t.tracking_link_id DESC LIMIT :limit",
                         org=affiliate_org_id, limit=limit)
    return [_link(row) for row in rows]


def links_of_pairs(session: Session, affiliate_org_id: int, pairs: list[tuple[str, str]], scope: TenantScope, *,
                   limit: int) -> list[LinkRow]:
    """The live links of an affiliate organization whose (offer, Everflow affiliate) is one of `pairs`."""
    if not pairs:
        return []
    rows = _across_sides(
        session, scope, f"SELECT {LINK_COLUMNS} FROM {LINK_SOURCE} WHERE t.affiliate_org_id = :org"
                        " AND t.status <> 'archived' AND (cm.provider_offer_id, am.provider_affiliate_id) IN"
                        " (SELECT * FROM unnest(CAST(:offers AS TEXT[]), CAST(:affiliates AS TEXT[])))"
                        " ORDER BY t.tracking_link_id DESC LIMIT :limit",
        org=affiliate_org_id, offers=[p[0] for p in pairs], affiliates=[p[1] for p in pairs], limit=limit)
    return [_link(row) for row in rows]


def by_network_id(session: Session, column: str, network_ids: list[str],
                  scope: TenantScope) -> dict[str, MappedEntity]:
    """Our entities behind Everflow ids of a report `column` (offer, affiliate, advertiser), on either side.

    The ids come from the tenant's own (filtered) report, whose rows already name these entities;
    this adds our ids and statuses, which may live on a partner's side.
    """
    if not network_ids:
        return {}
    table, provider_id, entities, entity_id = NETWORK_IDS[column]
    rows = _across_sides(
        session, scope, f"SELECT m.{provider_id} AS provider_id, e.{entity_id} AS entity_id, e.name, e.status,"
                        f" e.organization_id FROM {table} m JOIN {entities} e ON e.{entity_id} = m.{entity_id}"
                        f" WHERE m.provider_type = 'everflow' AND m.{provider_id} = ANY(CAST(:ids AS TEXT[]))",
        ids=sorted(set(network_ids)))
    return {row["provider_id"]: MappedEntity(int(row["provider_id"]), int(row["entity_id"]), row["name"],
                                             row["status"], int(row["organization_id"])) for row in rows}


@dataclass(frozen=True)
class CampaignsOf:
    """Whose campaigns: an organization's own, those an affiliate organization promotes, or all (no id)."""

    organization_id: int | None
    promoted: bool = False

    def where(self) -> tuple[str, dict[str, Any]]:
        if self.organization_id is None:
            return "TRUE", {}
        return (PROMOTED if self.promoted else OF_ORGANIZATION), {"org": self.organization_id}


def campaigns_page(session: Session, of: CampaignsOf, page: PageRequest, scope: TenantScope) -> PageResult[CampaignRow]:
    """Live campaigns, newest first, and their total (counted up to the cap)."""
    where, params = of.where()
    across = scope if of.promoted else None
    rows = _read(session, across, f"SELECT {CAMPAIGN_COLUMNS} FROM {CAMPAIGN_SOURCE} WHERE {where}"
                                  " AND c.status <> 'archived' ORDER BY c.campaign_id DESC LIMIT :limit OFFSET :offset",
                 limit=page.page_size, offset=page.offset, **params)
    matched = _read(session, across, f"SELECT count(*) AS n FROM (SELECT 1 FROM campaigns c WHERE {where}"
                                     f" AND c.status <> 'archived' LIMIT {TOTAL_CAP + 1}) AS capped", **params)
    return PageResult.counted([_campaign(row) for row in rows], int(matched[0]["n"]), page)


def campaign(session: Session, campaign_id: int, of: CampaignsOf, scope: TenantScope) -> CampaignRow | None:
    """One campaign under the same rule as `campaigns_page` (archived ones included)."""
    where, params = of.where()
    rows = _read(session, scope if of.promoted else None,
                 f"SELECT {CAMPAIGN_COLUMNS} FROM {CAMPAIGN_SOURCE} WHERE {where} AND c.campaign_id = :id",
                 id=campaign_id, **params)
    return _campaign(rows[0]) if rows else None


def _read(session: Session, scope: TenantScope | None, sql: str, **params: Any) -> list[Row]:
    """`scope` given: read across sides (see `_across_sides`); else under the transaction's own scope."""
    return _across_sides(session, scope, sql, **params) if scope else session.fetch_all(sql, **params)


def _across_sides(session: Session, scope: TenantScope, sql: str, **params: Any) -> list[Row]:
    """Run one statement, itself restricted to what the caller may know, with the cross-tenant flag on.

    The flag is transaction-local and switched back off right after; a failing statement aborts the
    transaction, and the flag dies with it.
    """
    if scope.crosses_tenants:
        return session.fetch_all(sql, **params)
    session.execute("SELECT set_config('app.cross_tenant', 'on', true)")
    rows = session.fetch_all(sql, **params)
    session.execute("SELECT set_config('app.cross_tenant', 'off', true)")
    return rows


def _campaign(row: Row) -> CampaignRow:
    return CampaignRow(int(row["campaign_id"]), int(row["organization_id"]), int(row["advertiser_id"]), row["name"],
                       row["status"], row["created_at"], row["provider_offer_id"])


def _link(row: Row) -> LinkRow:
    return LinkRow(int(row["tracking_link_id"]), row["name"], row["status"], row["tracking_url"], row["created_at"],
                   int(row["campaign_id"]), row["campaign_name"], row["campaign_status"], int(row["affiliate_id"]),
                   row["affiliate_name"], row["provider_offer_id"], row["provider_affiliate_id"])
