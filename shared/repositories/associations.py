"""SQL for organization associations and the partner lookups they need (organizations, visible entities)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from typing import Any
from uuid import UUID

from pg8000.exceptions import DatabaseError

from shared.db.session import Row, Session, sqlstate
from shared.domain.errors import Conflict
from shared.domain.organizations import OrganizationType
from shared.domain.partnerships import (
    Association,
    AssociationFilter,
    AssociationStatus,
    AssociationType,
    NewAssociation,
    OrganizationSummary,
    VisibleAffiliate,
    VisibleCampaign,
    Window,
)
from shared.domain.principal import TenantScope

COLUMNS = ("association_id, advertiser_org_id, affiliate_org_id, status, association_type, visible_affiliate_ids,"
           " visible_campaign_ids, all_affiliates_visible, all_campaigns_visible, requested_by_user_id,"
           " approved_by_user_id, message, created_at, updated_at, approved_at")
JSON_COLUMNS = frozenset({"visible_affiliate_ids", "visible_campaign_ids"})
VISIBILITY_COLUMNS = frozenset({*JSON_COLUMNS, "all_affiliates_visible", "all_campaigns_visible"})
VISIBLE_AFFILIATES = (
    "SELECT af.affiliate_id, af.organization_id, af.name, af.status, count(*) OVER () AS total"
    " FROM organization_associations oa JOIN affiliates af ON af.organization_id = oa.affiliate_org_id"
    " WHERE oa.advertiser_org_id = :org AND oa.status = 'active' AND af.status <> 'archived'"
    " AND (oa.all_affiliates_visible OR coalesce(oa.visible_affiliate_ids @> to_jsonb(af.affiliate_id), FALSE))"
    " AND (CAST(:partner AS BIGINT) IS NULL OR oa.affiliate_org_id = :partner)"
    " ORDER BY af.affiliate_id LIMIT :limit OFFSET :offset"
)
VISIBLE_CAMPAIGNS = (
    "SELECT c.campaign_id, c.organization_id, c.advertiser_id, c.name, c.status, c.visibility, c.currency_id,"
    " c.start_date, c.end_date, c.preview_url, c.thumbnail_url, count(*) OVER () AS total"
    " FROM organization_associations oa JOIN campaigns c ON c.organization_id = oa.advertiser_org_id"
    " WHERE oa.affiliate_org_id = :org AND oa.status = 'active' AND c.status NOT IN ('archived', 'draft')"
    " AND (oa.all_campaigns_visible OR coalesce(oa.visible_campaign_ids @> to_jsonb(c.campaign_id), FALSE))"
    " AND (CAST(:partner AS BIGINT) IS NULL OR oa.advertiser_org_id = :partner)"
    " ORDER BY c.campaign_id LIMIT :limit OFFSET :offset"
)


class AssociationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, new: NewAssociation) -> Association:
        """Insert a pending association; a live one for the same pair is a `Conflict`."""
        values = asdict(new)
        values["association_type"] = new.association_type.value
        with _one_live_pair():
            row = self._session.fetch_one(
                f"INSERT INTO organization_associations ({', '.join(values)})"
                f" VALUES ({', '.join(_placeholder(c) for c in values)}) RETURNING {COLUMNS}",
                **_db(values),
            )
        assert row is not None
        return _association(row)

    def get(self, association_id: int, scope: TenantScope, *, for_update: bool = False) -> Association | None:
        where, params = _where(scope, AssociationFilter())
        lock = " FOR UPDATE" if for_update else ""
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM organization_associations WHERE association_id = :id AND {where}{lock}",
            id=association_id, **params,
        )
        return _association(row) if row else None

    def live_between(self, advertiser_org_id: int, affiliate_org_id: int) -> Association | None:
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM organization_associations WHERE advertiser_org_id = :adv"
            " AND affiliate_org_id = :aff AND status <> 'rejected'",
            adv=advertiser_org_id, aff=affiliate_org_id,
        )
        return _association(row) if row else None

    def find(self, scope: TenantScope, where: AssociationFilter, window: Window) -> tuple[list[Association], int]:
        clause, params = _where(scope, where)
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS}, count(*) OVER () AS total FROM organization_associations WHERE {clause}"
            " ORDER BY created_at DESC, association_id DESC LIMIT :limit OFFSET :offset",
            limit=window.limit, offset=window.offset, **params,
        )
        if rows or window.offset == 0:
            return [_association(r) for r in rows], int(rows[0]["total"]) if rows else 0
        total = self._session.fetch_value(f"SELECT count(*) FROM organization_associations WHERE {clause}", **params)
        return [], int(total)

    def set_status(self, association_id: int, status: AssociationStatus, decided_by: UUID,
                   *, stamp_approval: bool) -> Association:
        """Record a decision: who made it, and when for approvals and rejections."""
        approved_at = "now()" if stamp_approval else "approved_at"
        row = self._session.fetch_one(
            f"UPDATE organization_associations SET status = :status, approved_by_user_id = CAST(:by AS UUID),"
            f" approved_at = {approved_at} WHERE association_id = :id RETURNING {COLUMNS}",
            id=association_id, status=status.value, by=str(decided_by),
        )
        assert row is not None
        return _association(row)

    def set_visibility(self, association_id: int, changes: dict[str, Any]) -> Association:
        assert set(changes) <= VISIBILITY_COLUMNS
        assignments = ", ".join(f"{column} = {_placeholder(column)}" for column in changes)
        row = self._session.fetch_one(
            f"UPDATE organization_associations SET {assignments} WHERE association_id = :id RETURNING {COLUMNS}",
            id=association_id, **_db(changes),
        )
        assert row is not None
        return _association(row)

    def organizations(self, ids: Iterable[int]) -> dict[int, OrganizationSummary]:
        """Names and types only (what a partner may know); other tenants' need a system-scoped transaction."""
        rows = self._session.fetch_all(
            "SELECT organization_id, name, type FROM organizations WHERE organization_id = ANY(CAST(:ids AS BIGINT[]))",
            ids=sorted(set(ids)),
        )
        return {r["organization_id"]: OrganizationSummary(r["organization_id"], r["name"], OrganizationType(r["type"]))
                for r in rows}

    def affiliate_ids_of(self, organization_id: int, ids: list[int]) -> set[int]:
        return self._ids_of("affiliates", "affiliate_id", organization_id, ids)

    def campaign_ids_of(self, organization_id: int, ids: list[int]) -> set[int]:
        return self._ids_of("campaigns", "campaign_id", organization_id, ids)

    def visible_affiliates(self, advertiser_org_id: int, affiliate_org_id: int | None,
                           window: Window) -> tuple[list[VisibleAffiliate], int]:
        """Affiliates exposed through active associations (cross-tenant: run in a system-scoped transaction)."""
        rows = self._session.fetch_all(VISIBLE_AFFILIATES, org=advertiser_org_id, partner=affiliate_org_id,
                                       limit=window.limit, offset=window.offset)
        return [_read(VisibleAffiliate, r) for r in rows], int(rows[0]["total"]) if rows else 0

    def visible_campaigns(self, affiliate_org_id: int, advertiser_org_id: int | None,
                          window: Window) -> tuple[list[VisibleCampaign], int]:
        """Campaigns exposed through active associations (cross-tenant: run in a system-scoped transaction)."""
        rows = self._session.fetch_all(VISIBLE_CAMPAIGNS, org=affiliate_org_id, partner=advertiser_org_id,
                                       limit=window.limit, offset=window.offset)
        return [_read(VisibleCampaign, r) for r in rows], int(rows[0]["total"]) if rows else 0

    def _ids_of(self, table: str, key: str, organization_id: int, ids: list[int]) -> set[int]:
        if not ids:
            return set()
        rows = self._session.fetch_all(
            f"SELECT {key} FROM {table} WHERE organization_id = :org AND {key} = ANY(CAST(:ids AS BIGINT[]))",
            org=organization_id, ids=ids,
        )
        return {int(r[key]) for r in rows}


@contextmanager
def _one_live_pair() -> Iterator[None]:
    """The partial unique index decides races between two applications for the same pair."""
    try:
        yield
    except DatabaseError as exc:
        if sqlstate(exc) == "23505" and "uq_associations_live_pair" in str(exc):
            raise Conflict("Association already exists between these organizations.") from exc
        raise


def _where(scope: TenantScope, where: AssociationFilter) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = ["TRUE"]
    params: dict[str, Any] = {}
    if scope.organization_ids is not None:
        clauses.append("(advertiser_org_id = ANY(CAST(:scope AS BIGINT[]))"
                       " OR affiliate_org_id = ANY(CAST(:scope AS BIGINT[])))")
        params["scope"] = sorted(scope.organization_ids)
    for column in ("advertiser_org_id", "affiliate_org_id", "status", "association_type"):
        value = getattr(where, column)
        if value is not None:
            clauses.append(f"{column} = :{column}")
            params[column] = value.value if hasattr(value, "value") else value
    if where.organization_id is not None:
        clauses.append("(advertiser_org_id = :either OR affiliate_org_id = :either)")
        params["either"] = where.organization_id
    return " AND ".join(clauses), params


def _placeholder(column: str) -> str:
    if column in JSON_COLUMNS:
        return f"CAST(:{column} AS JSONB)"
    return f"CAST(:{column} AS UUID)" if column.endswith("_user_id") else f":{column}"


def _db(values: dict[str, Any]) -> dict[str, Any]:
    def convert(column: str, value: Any) -> Any:
        if column in JSON_COLUMNS:
            return None if value is None else json.dumps(value)
        return str(value) if isinstance(value, UUID) else value
    return {column: convert(column, value) for column, value in values.items()}


def _association(row: Row) -> Association:
    return Association(**{
        **{k: v for k, v in row.items() if k != "total"},
        "status": AssociationStatus(row["status"]),
        "association_type": AssociationType(row["association_type"]),
        "requested_by_user_id": _uuid(row["requested_by_user_id"]),
        "approved_by_user_id": _uuid(row["approved_by_user_id"]),
    })


def _uuid(value: Any) -> UUID | None:
    return None if value is None else UUID(str(value))


def _read(kind: type[Any], row: Row) -> Any:
    return kind(**{f.name: row[f.name] for f in fields(kind)})
