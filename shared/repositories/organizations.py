"""SQL for organizations and their extra information."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from shared.db.session import Row, Session
from shared.domain.organizations import (
    AdvertiserExtraInfo,
    AffiliateExtraInfo,
    AffiliateType,
    CompanySize,
    ExtraInfo,
    Organization,
    OrganizationStatus,
    OrganizationType,
    WebsiteType,
    extra_info_kind,
)
from shared.domain.paging import PageRequest, PageResult
from shared.domain.principal import TenantScope

COLUMNS = "organization_id, name, type, status, contact_email, description, created_at, updated_at"
EXTRA_TABLES: dict[type[Any], str] = {
    AdvertiserExtraInfo: "advertiser_extra_info",
    AffiliateExtraInfo: "affiliate_extra_info",
}


class OrganizationRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, name: str, org_type: OrganizationType, contact_email: str | None,
            description: str | None) -> Organization:
        row = self._session.fetch_one(
            f"INSERT INTO organizations (name, type, contact_email, description)"
            f" VALUES (:name, :type, :email, :description) RETURNING {COLUMNS}",
            name=name, type=org_type.value, email=contact_email, description=description,
        )
        assert row is not None
        return _organization(row)

    def get(self, organization_id: int, scope: TenantScope, *, for_update: bool = False) -> Organization | None:
        if not scope.allows(organization_id):
            return None
        lock = " FOR UPDATE" if for_update else ""
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM organizations WHERE organization_id = :id{lock}", id=organization_id
        )
        return _organization(row) if row else None

    def list(self, scope: TenantScope, page: PageRequest, *, org_type: OrganizationType | None = None,
             include_archived: bool = False) -> PageResult[Organization]:
        where, params = _filters(scope, org_type, include_archived)
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS}, count(*) OVER () AS total FROM organizations WHERE {where}"
            " ORDER BY organization_id LIMIT :limit OFFSET :offset",
            limit=page.page_size, offset=page.offset, **params,
        )
        if rows:
            total = int(rows[0]["total"])
        else:
            total = int(self._session.fetch_value(f"SELECT count(*) FROM organizations WHERE {where}", **params))
        return PageResult([_organization(r) for r in rows], total, page)

    def update(self, organization_id: int, changes: dict[str, Any]) -> Organization:
        assignments = ", ".join(f"{column} = :{column}" for column in changes)
        row = self._session.fetch_one(
            f"UPDATE organizations SET {assignments} WHERE organization_id = :id RETURNING {COLUMNS}",
            id=organization_id, **{k: _db_value(v) for k, v in changes.items()},
        )
        assert row is not None
        return _organization(row)

    def archive(self, organization_id: int) -> None:
        self._session.execute(
            "UPDATE organizations SET status = 'archived', archived_at = now()"
            " WHERE organization_id = :id AND status <> 'archived'",
            id=organization_id,
        )

    def save_extra_info(self, organization_id: int, info: ExtraInfo) -> None:
        table = EXTRA_TABLES[type(info)]
        values = {f.name: _db_value(getattr(info, f.name)) for f in fields(info)}
        columns = ", ".join(values)
        placeholders = ", ".join(f":{c}" for c in values)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in values)
        self._session.execute(
            f"INSERT INTO {table} (organization_id, {columns}) VALUES (:organization_id, {placeholders})"
            f" ON CONFLICT (organization_id) DO UPDATE SET {updates}",
            organization_id=organization_id, **values,
        )

    def extra_info(self, organization: Organization) -> ExtraInfo | None:
        kind = extra_info_kind(organization.type)
        if kind is None:
            return None
        names = [f.name for f in fields(kind)]
        row = self._session.fetch_one(
            f"SELECT {', '.join(names)} FROM {EXTRA_TABLES[kind]} WHERE organization_id = :id",
            id=organization.organization_id,
        )
        return _extra_info(kind, row) if row else None


def _filters(scope: TenantScope, org_type: OrganizationType | None,
             include_archived: bool) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = ["TRUE"]
    params: dict[str, Any] = {}
    if scope.organization_ids is not None:
        clauses.append("organization_id = ANY(CAST(:scope AS BIGINT[]))")
        params["scope"] = sorted(scope.organization_ids)
    if org_type is not None:
        clauses.append("type = :type")
        params["type"] = org_type.value
    if not include_archived:
        clauses.append("status = 'active'")
    return " AND ".join(clauses), params


def _db_value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def _organization(row: Row) -> Organization:
    return Organization(
        organization_id=row["organization_id"],
        name=row["name"],
        type=OrganizationType(row["type"]),
        status=OrganizationStatus(row["status"]),
        contact_email=row["contact_email"],
        description=row["description"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


_ENUMS: dict[str, Any] = {"website_type": WebsiteType, "company_size": CompanySize, "affiliate_type": AffiliateType}


def _extra_info(kind: type[ExtraInfo], row: Row) -> ExtraInfo:
    values = {k: (_ENUMS[k](v) if k in _ENUMS and v is not None else v) for k, v in row.items()}
    return kind(**values)

