"""SQL for advertisers."""

from __future__ import annotations

import enum
import functools
import json
from typing import Any

from pydantic import TypeAdapter

from shared.db.session import Row, Session
from shared.domain.advertisers import (
    Advertiser,
    AdvertiserFilter,
    AdvertiserSort,
    AdvertiserStatus,
    AttributionMethod,
    AttributionPriority,
    EmailAttributionMethod,
)
from shared.domain.billing import BillingDetails
from shared.domain.paging import TOTAL_CAP, PageRequest, PageResult
from shared.domain.principal import TenantScope

EDITABLE = (
    "name", "status", "contact_email", "billing_details", "internal_notes", "default_currency_id",
    "platform_name", "platform_url", "platform_username", "accounting_contact_email", "offer_id_macro",
    "affiliate_id_macro", "attribution_method", "email_attribution_method", "attribution_priority",
    "reporting_timezone_id",
)
COLUMNS = ", ".join(("advertiser_id", "organization_id", *EDITABLE, "version", "created_at", "updated_at",
                     "archived_at"))
SORT_COLUMNS = {
    AdvertiserSort.ADVERTISER_ID: "advertiser_id",
    AdvertiserSort.NAME: "lower(name)",
    AdvertiserSort.STATUS: "status",
    AdvertiserSort.CREATED_AT: "created_at",
    AdvertiserSort.UPDATED_AT: "updated_at",
}
ENUMS: dict[str, type[enum.StrEnum]] = {
    "status": AdvertiserStatus,
    "attribution_method": AttributionMethod,
    "email_attribution_method": EmailAttributionMethod,
    "attribution_priority": AttributionPriority,
}


@functools.cache
def _billing() -> TypeAdapter[BillingDetails]:
    return TypeAdapter(BillingDetails)


class AdvertiserRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, organization_id: int, values: dict[str, Any]) -> Advertiser:
        params = _params(values)
        placeholders = ", ".join(_placeholder(column) for column in params)
        row = self._session.fetch_one(
            f"INSERT INTO advertisers (organization_id, {', '.join(params)})"
            f" VALUES (:organization_id, {placeholders}) RETURNING {COLUMNS}",
            organization_id=organization_id, **params,
        )
        assert row is not None
        return _advertiser(row)

    def get(self, advertiser_id: int, scope: TenantScope, *, for_update: bool = False) -> Advertiser | None:
        clauses, params = _scoped(scope)
        lock = " FOR UPDATE" if for_update else ""
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM advertisers WHERE advertiser_id = :id AND {clauses}{lock}",
            id=advertiser_id, **params,
        )
        return _advertiser(row) if row else None

    def list(self, scope: TenantScope, organization_id: int, page: PageRequest,
             where: AdvertiserFilter) -> PageResult[Advertiser]:
        """The page in index order, and its total counted up to the cap: two queries whatever the page size."""
        clauses, params = _filters(scope, organization_id, where)
        direction = "DESC" if where.descending else "ASC"
        order = f"{SORT_COLUMNS[where.sort_by]} {direction}"
        if where.sort_by is not AdvertiserSort.ADVERTISER_ID:
            order += f", advertiser_id {direction}"  # ties by id, as the indexes hold them
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM advertisers WHERE {clauses} ORDER BY {order} LIMIT :limit OFFSET :offset",
            limit=page.page_size, offset=page.offset, **params,
        )
        matched = self._session.fetch_value(
            f"SELECT count(*) FROM (SELECT 1 FROM advertisers WHERE {clauses} LIMIT {TOTAL_CAP + 1}) AS capped",
            **params)
        return PageResult.counted([_advertiser(r) for r in rows], int(matched), page)

    def update(self, advertiser_id: int, changes: dict[str, Any]) -> Advertiser:
        params = _params(changes)
        assignments = ", ".join(f"{column} = {_placeholder(column)}" for column in params)
        row = self._session.fetch_one(
            f"UPDATE advertisers SET {assignments} WHERE advertiser_id = :advertiser_id RETURNING {COLUMNS}",
            advertiser_id=advertiser_id, **params,
        )
        assert row is not None
        return _advertiser(row)

    def archive(self, advertiser_id: int) -> Advertiser:
        row = self._session.fetch_one(
            "UPDATE advertisers SET status = 'archived', archived_at = now()"
            f" WHERE advertiser_id = :id RETURNING {COLUMNS}",
            id=advertiser_id,
        )
        assert row is not None
        return _advertiser(row)


def _scoped(scope: TenantScope) -> tuple[str, dict[str, Any]]:
    if scope.organization_ids is None:
        return "TRUE", {}
    return "organization_id = ANY(CAST(:scope AS BIGINT[]))", {"scope": sorted(scope.organization_ids)}


def _filters(scope: TenantScope, organization_id: int, where: AdvertiserFilter) -> tuple[str, dict[str, Any]]:
    scoped, params = _scoped(scope)
    clauses = [scoped, "organization_id = :organization_id"]
    params["organization_id"] = organization_id
    if where.status is not None:
        clauses.append("status = :status")
        params["status"] = where.status.value
    if not where.include_archived and where.status is not AdvertiserStatus.ARCHIVED:
        clauses.append("status <> 'archived'")
    if where.search:
        clauses.append("lower(name) LIKE :search ESCAPE '\\'")
        params["search"] = f"%{like_escape(where.search.lower())}%"
    return " AND ".join(clauses), params


def like_escape(text: str) -> str:
    """`text` matched literally inside a LIKE pattern."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _placeholder(column: str) -> str:
    return "CAST(:billing_details AS JSONB)" if column == "billing_details" else f":{column}"


def _params(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(EDITABLE)
    assert not unknown, f"not advertiser columns: {unknown}"
    params = {k: v.value if isinstance(v, enum.Enum) else v for k, v in values.items()}
    if "billing_details" in values:
        details = values["billing_details"]
        params["billing_details"] = None if details is None else json.dumps(
            _billing().dump_python(details, mode="json"))
    return params


def _advertiser(row: Row) -> Advertiser:
    values = dict(row)
    for name, kind in ENUMS.items():
        values[name] = kind(values[name]) if values[name] is not None else None
    details = values["billing_details"]
    values["billing_details"] = None if details is None else _billing().validate_python(details)
    return Advertiser(**values)
