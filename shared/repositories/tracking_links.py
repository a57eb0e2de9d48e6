"""SQL for tracking links, and the partnership facts that decide whether a link may exist."""

from __future__ import annotations

import json
from typing import Any

from pg8000.exceptions import DatabaseError

from shared.db.session import Row, Session, sqlstate
from shared.domain.errors import Conflict
from shared.domain.paging import TOTAL_CAP
from shared.domain.principal import TenantScope
from shared.domain.tracking_links import (
    LinkFilter,
    LinkPage,
    LinkParties,
    Partnership,
    Party,
    TrackingLink,
    TrackingLinkStatus,
    Window,
)

COLUMNS = ("tracking_link_id, organization_id, affiliate_org_id, campaign_id, affiliate_id, name, description,"
           " status, tracking_url, source_id, sub1, sub2, sub3, sub4, sub5, is_encrypt_parameters,"
           " is_redirect_link, internal_notes, tags, qr_code_object, version, created_at, updated_at")
KEY = ("campaign_id, affiliate_id, coalesce(source_id, ''), coalesce(sub1, ''), coalesce(sub2, ''),"
       " coalesce(sub3, ''), coalesce(sub4, ''), coalesce(sub5, '')")
INSERTED = ("campaign_id", "affiliate_id", "organization_id", "affiliate_org_id", "name", "description",
            "source_id", "sub1", "sub2", "sub3", "sub4", "sub5", "is_encrypt_parameters", "is_redirect_link",
            "internal_notes", "tags")
SAME_KEY = " AND ".join(
    ["campaign_id = :campaign_id", "affiliate_id = :affiliate_id"]
    + [f"coalesce({c}, '') = coalesce(CAST(:{c} AS VARCHAR), '')" for c in ("source_id", "sub1", "sub2", "sub3",
                                                                            "sub4", "sub5")])
# Both sides' rows in one read: the campaign, the affiliate, and the live partnership of their organizations.
PARTIES = """
SELECT c.campaign_id, c.organization_id AS campaign_org_id, c.status AS campaign_status,
       a.affiliate_id, a.organization_id AS affiliate_org_id, a.status AS affiliate_status,
       p.status AS partnership_status, p.all_campaigns_visible, p.visible_campaign_ids,
       p.all_affiliates_visible, p.visible_affiliate_ids
FROM (SELECT 1) AS one
LEFT JOIN campaigns c ON c.campaign_id = :campaign_id
LEFT JOIN affiliates a ON a.affiliate_id = :affiliate_id
LEFT JOIN LATERAL (
    SELECT * FROM organization_associations
    WHERE advertiser_org_id = c.organization_id AND affiliate_org_id = a.organization_id AND status <> 'rejected'
) p ON TRUE
WHERE CAST(:everything AS BOOLEAN)
   OR c.organization_id = ANY(CAST(:scope AS BIGINT[])) OR a.organization_id = ANY(CAST(:scope AS BIGINT[]))
"""
# Whose links an entity's list may show: its own organization's, or a partner's (active or suspended).
REACHABLE = {
    "campaign": "SELECT 1 FROM campaigns x WHERE x.campaign_id = :id AND (CAST(:everything AS BOOLEAN)"
                " OR x.organization_id = ANY(CAST(:scope AS BIGINT[])) OR EXISTS (SELECT 1 FROM"
                " organization_associations p WHERE p.advertiser_org_id = x.organization_id"
                " AND p.affiliate_org_id = ANY(CAST(:scope AS BIGINT[])) AND p.status IN ('active', 'suspended')))",
    "affiliate": "SELECT 1 FROM affiliates x WHERE x.affiliate_id = :id AND (CAST(:everything AS BOOLEAN)"
                 " OR x.organization_id = ANY(CAST(:scope AS BIGINT[])) OR EXISTS (SELECT 1 FROM"
                 " organization_associations p WHERE p.affiliate_org_id = x.organization_id"
                 " AND p.advertiser_org_id = ANY(CAST(:scope AS BIGINT[])) AND p.status IN ('active', 'suspended')))",
}


class TrackingLinkRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def parties(self, campaign_id: int, affiliate_id: int, scope: TenantScope) -> LinkParties:
        """The facts about both sides, for a caller on at least one of them (else nothing is found)."""
        row = self._across_sides(PARTIES, scope, campaign_id=campaign_id, affiliate_id=affiliate_id)
        return _parties(row) if row else LinkParties(None, None, None)

    def reachable(self, kind: str, entity_id: int, scope: TenantScope) -> bool:
        """Whether the caller may list the links of this campaign or affiliate (`kind`)."""
        return self._across_sides(REACHABLE[kind], scope, id=entity_id) is not None

    def add(self, values: dict[str, Any]) -> tuple[TrackingLink, bool]:
        """Insert unless a link with the same key exists (even one inserted concurrently); (link, is_new)."""
        params = {name: values.get(name) for name in INSERTED} | {"tags": json.dumps(values.get("tags") or [])}
        placeholders = ", ".join("CAST(:tags AS JSONB)" if n == "tags" else f":{n}" for n in INSERTED)
        row = self._session.fetch_one(
            f"INSERT INTO tracking_links ({', '.join(INSERTED)}) VALUES ({placeholders})"
            f" ON CONFLICT ({KEY}) DO NOTHING RETURNING {COLUMNS}", **params)
        if row is not None:
            return _link(row), True
        existing = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM tracking_links WHERE {SAME_KEY}",
            **{k: params[k] for k in ("campaign_id", "affiliate_id", "source_id", "sub1", "sub2", "sub3", "sub4",
                                      "sub5")})
        assert existing is not None, "the conflicting link is committed, so this statement sees it"
        return _link(existing), False

    def get(self, tracking_link_id: int, scope: TenantScope, *, for_update: bool = False) -> TrackingLink | None:
        where, params = _scope_clause(scope)
        lock = " FOR UPDATE" if for_update else ""
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM tracking_links WHERE tracking_link_id = :id AND {where}{lock}",
            id=tracking_link_id, **params)
        return _link(row) if row else None

    def update(self, tracking_link_id: int, changes: dict[str, Any]) -> TrackingLink:
        """Apply `changes`; a clash with another link's parameters is a 409."""
        assignments = ", ".join(f"{c} = CAST(:{c} AS JSONB)" if c == "tags" else f"{c} = :{c}" for c in changes)
        values = {k: json.dumps(v) if k == "tags" else getattr(v, "value", v) for k, v in changes.items()}
        try:
            row = self._session.fetch_one(
                f"UPDATE tracking_links SET {assignments} WHERE tracking_link_id = :id RETURNING {COLUMNS}",
                id=tracking_link_id, **values)
        except DatabaseError as exc:
            if sqlstate(exc) == "23505":  # unique_violation on the parameters key
                raise Conflict("Another tracking link of this campaign and affiliate has these parameters.") from exc
            raise
        assert row is not None
        return _link(row)

    def without_url(self, *, after_id: int = 0, limit: int = 500) -> list[int]:
        """Live links still waiting for their Everflow URL, by id (the reconcile job re-queues them)."""
        rows = self._session.fetch_all(
            "SELECT tracking_link_id FROM tracking_links WHERE tracking_link_id > :after AND tracking_url IS NULL"
            " AND status <> 'archived' ORDER BY tracking_link_id LIMIT :limit", after=after_id, limit=limit)
        return [int(row["tracking_link_id"]) for row in rows]

    def list(self, where: LinkFilter, window: Window, scope: TenantScope) -> LinkPage:
        """The page in index order, and its total counted up to the cap: two queries whatever the page size."""
        branches, params = _branches(where, scope)
        newest = "ORDER BY tracking_link_id DESC"
        if len(branches) == 1:
            source, reach = f"tracking_links WHERE {branches[0]}", {}
        else:  # each branch newest first from its own index, just deep enough for this page, then merged
            source = "(" + " UNION ALL ".join(
                f"(SELECT {COLUMNS} FROM tracking_links WHERE {branch} {newest} LIMIT :reach)" for branch in branches
            ) + ") AS sides"
            reach = {"reach": window.offset + window.limit}
        rows = self._session.fetch_all(f"SELECT {COLUMNS} FROM {source} {newest} LIMIT :limit OFFSET :offset",
                                       limit=window.limit, offset=window.offset, **reach, **params)
        matching = " UNION ALL ".join(f"SELECT 1 FROM tracking_links WHERE {branch}" for branch in branches)
        matched = self._session.fetch_value(f"SELECT count(*) FROM ({matching} LIMIT {TOTAL_CAP + 1}) AS capped",
                                            **params)
        return LinkPage.counted([_link(r) for r in rows], int(matched), window)

    def _across_sides(self, sql: str, scope: TenantScope, **params: Any) -> Row | None:
        """Read rows of both sides of a partnership, which row-level security would show to one side only.

        The statement itself is restricted to the caller's organizations; only it runs with the
        cross-tenant flag, which the transaction drops again right after.
        """
        scope_params = {"everything": scope.crosses_tenants, "scope": sorted(scope.organization_ids or ())}
        if scope.crosses_tenants:
            return self._session.fetch_one(sql, **params, **scope_params)
        self._session.execute("SELECT set_config('app.cross_tenant', 'on', true)")
        # If the statement fails, the transaction is aborted and the transaction-local flag dies with it.
        row = self._session.fetch_one(sql, **params, **scope_params)
        self._session.execute("SELECT set_config('app.cross_tenant', 'off', true)")
        return row


def _scope_clause(scope: TenantScope) -> tuple[str, dict[str, Any]]:
    if scope.organization_ids is None:
        return "TRUE", {}
    return ("(organization_id = ANY(CAST(:scope AS BIGINT[])) OR affiliate_org_id = ANY(CAST(:scope AS BIGINT[])))",
            {"scope": sorted(scope.organization_ids)})


def _branches(where: LinkFilter, scope: TenantScope) -> tuple[list[str], dict[str, Any]]:
    """The list's conditions, split so that each part is read newest first from one index.

    A list bounded by organizations (the one asked for, else the caller's) matches rows where any of
    them is either side: no index holds that in id order, so it becomes one part per organization and
    side (the affiliate side's minus links whose campaign side is among them, counted already).
    """
    clauses, params = _filters(where, scope)
    sides = _sides(where, scope)
    if not sides:
        if where.organization_id is not None:
            clauses += " AND (organization_id = :organization_id OR affiliate_org_id = :organization_id)"
            params["organization_id"] = where.organization_id
        return [clauses], params
    params["sides"] = list(sides)
    branches = []
    for i, organization_id in enumerate(sides):
        params[f"side{i}"] = organization_id
        branches += [f"{clauses} AND organization_id = :side{i}",
                     f"{clauses} AND affiliate_org_id = :side{i} AND organization_id <> ALL(CAST(:sides AS BIGINT[]))"]
    return branches, params


def _sides(where: LinkFilter, scope: TenantScope) -> tuple[int, ...]:
    """The organizations whose links (on either side) make the list; none when a campaign or affiliate does."""
    if where.campaign_ids or where.affiliate_ids:
        return ()  # their own (campaign_id, id) and (affiliate_id, id) indexes serve the order
    if where.organization_id is not None:
        return (where.organization_id,)
    return tuple(sorted(scope.organization_ids or ()))


def _filters(where: LinkFilter, scope: TenantScope) -> tuple[str, dict[str, Any]]:
    scope_sql, params = _scope_clause(scope)
    clauses = [scope_sql]
    for column, ids in (("campaign_id", where.campaign_ids), ("affiliate_id", where.affiliate_ids)):
        if len(ids) == 1:  # equality, so that the column's index yields the links in id order
            clauses.append(f"{column} = :{column}")
            params[column] = ids[0]
        elif ids:
            clauses.append(f"{column} = ANY(CAST(:{column}s AS BIGINT[]))")
            params[f"{column}s"] = list(ids)
    if where.status is not None:
        clauses.append("status = :status")
        params["status"] = where.status.value
    return " AND ".join(clauses), params


def _link(row: Row) -> TrackingLink:
    values = dict(row)
    tags = values["tags"]
    values["tags"] = list(tags if isinstance(tags, list) else json.loads(tags or "[]"))
    values["status"] = TrackingLinkStatus(values["status"])
    return TrackingLink(**values)


def _ids(value: Any) -> frozenset[int]:
    items = value if isinstance(value, list) else json.loads(value) if isinstance(value, str) else []
    return frozenset(i for i in items if isinstance(i, int) and not isinstance(i, bool))


def _parties(row: Row) -> LinkParties:
    campaign = Party(row["campaign_id"], row["campaign_org_id"], row["campaign_status"]) \
        if row["campaign_id"] is not None else None
    affiliate = Party(row["affiliate_id"], row["affiliate_org_id"], row["affiliate_status"]) \
        if row["affiliate_id"] is not None else None
    partnership = None
    if row["partnership_status"] is not None:
        partnership = Partnership(row["partnership_status"], row["all_campaigns_visible"],
                                  _ids(row["visible_campaign_ids"]), row["all_affiliates_visible"],
                                  _ids(row["visible_affiliate_ids"]))
    return LinkParties(campaign, affiliate, partnership)
