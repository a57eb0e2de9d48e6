"""SQL for affiliates."""

from __future__ import annotations

import enum
import functools
import json
from typing import Any

from pydantic import TypeAdapter

from shared.db.session import Row, Session
from shared.domain.affiliates import (
    Affiliate,
    AffiliateBillingInfo,
    AffiliateFilter,
    AffiliateSort,
    AffiliateStatus,
    ContactAddress,
)
from shared.domain.billing import PaymentDetails
from shared.domain.paging import TOTAL_CAP, PageRequest, PageResult
from shared.domain.principal import TenantScope
from shared.repositories.advertisers import like_escape

EDITABLE = (
    "name", "status", "contact_email", "payment_details", "internal_notes", "default_currency_id",
    "contact_address", "billing_info", "labels", "invoice_amount_threshold_cents", "default_payment_terms",
)
COLUMNS = ", ".join(("affiliate_id", "organization_id", *EDITABLE, "version", "created_at", "updated_at",
                     "archived_at"))
SORT_COLUMNS = {
    AffiliateSort.AFFILIATE_ID: "affiliate_id",
    AffiliateSort.NAME: "lower(name)",
    AffiliateSort.STATUS: "status",
    AffiliateSort.CREATED_AT: "created_at",
    AffiliateSort.UPDATED_AT: "updated_at",
}
# The JSONB columns and the value type each one holds.
JSON_TYPES: dict[str, Any] = {
    "payment_details": PaymentDetails,
    "contact_address": ContactAddress,
    "billing_info": AffiliateBillingInfo,
    "labels": list[str],
}


@functools.cache
def _adapter(column: str) -> TypeAdapter[Any]:
    return TypeAdapter(JSON_TYPES[column])


class AffiliateRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, organization_id: int, values: dict[str, Any]) -> Affiliate:
        params = _params(values)
        placeholders = ", ".join(_placeholder(column) for column in params)
        row = self._session.fetch_one(
            f"INSERT INTO affiliates (organization_id, {', '.join(params)})"
            f" VALUES (:organization_id, {placeholders}) RETURNING {COLUMNS}",
            organization_id=organization_id, **params,
        )
        assert row is not None
        return _affiliate(row)

    def get(self, affiliate_id: int, scope: TenantScope, *, for_update: bool = False) -> Affiliate | None:
        clauses, params = _scoped(scope)
        lock = " FOR UPDATE" if for_update else ""
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM affiliates WHERE affiliate_id = :id AND {clauses}{lock}",
            id=affiliate_id, **params,
        )
        return _affiliate(row) if row else None

    def list(self, scope: TenantScope, organization_id: int, page: PageRequest,
             where: AffiliateFilter) -> PageResult[Affiliate]:
        """The page in index order, and its total counted up to the cap: two queries whatever the page size."""
        clauses, params = _filters(scope, organization_id, where)
        direction = "DESC" if where.descending else "ASC"
        order = f"{SORT_COLUMNS[where.sort_by]} {direction}"
        if where.sort_by is not AffiliateSort.AFFILIATE_ID:
            order += f", affiliate_id {direction}"  # ties by id, as the indexes hold them
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM affiliates WHERE {clauses} ORDER BY {order} LIMIT :limit OFFSET :offset",
            limit=page.page_size, offset=page.offset, **params,
        )
        matched = self._session.fetch_value(
            f"SELECT count(*) FROM (SELECT 1 FROM affiliates WHERE {clauses} LIMIT {TOTAL_CAP + 1}) AS capped",
            **params)
        return PageResult.counted([_affiliate(r) for r in rows], int(matched), page)

    def update(self, affiliate_id: int, changes: dict[str, Any]) -> Affiliate:
        params = _params(changes)
        assignments = ", ".join(f"{column} = {_placeholder(column)}" for column in params)
        row = self._session.fetch_one(
            f"UPDATE affiliates SET {assignments} WHERE affiliate_id = :affiliate_id RETURNING {COLUMNS}",
            affiliate_id=affiliate_id, **params,
        )
        assert row is not None
        return _affiliate(row)

    def archive(self, affiliate_id: int) -> Affiliate:
        row = self._session.fetch_one(
            "UPDATE affiliates SET status = 'archived', archived_at = now()"
            f" WHERE affiliate_id = :id RETURNING {COLUMNS}",
            id=affiliate_id,
        )
        assert row is not None
        return _affiliate(row)


def _scoped(scope: TenantScope) -> tuple[str, dict[str, Any]]:
    if scope.organization_ids is None:
        return "TRUE", {}
    return "organization_id = ANY(CAST(:scope AS BIGINT[]))", {"scope": sorted(scope.organization_ids)}


def _filters(scope: TenantScope, organization_id: int, where: AffiliateFilter) -> tuple[str, dict[str, Any]]:
    scoped, params = _scoped(scope)
    clauses = [scoped, "organization_id = :organization_id"]
    params["organization_id"] = organization_id
    if where.status is not None:
        clauses.append("status = :status")
        params["status"] = where.status.value
    if not where.include_archived and where.status is not AffiliateStatus.ARCHIVED:
        clauses.append("status <> 'archived'")
    if where.search:
        clauses.append("lower(name) LIKE :search ESCAPE '\\'")
        params["search"] = f"%{like_escape(where.search.lower())}%"
    return " AND ".join(clauses), params


def _placeholder(column: str) -> str:
    return f"CAST(:{column} AS JSONB)" if column in JSON_TYPES else f":{column}"


def _params(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(EDITABLE)
    assert not unknown, f"not affiliate columns: {unknown}"
    params = {k: v.value if isinstance(v, enum.Enum) else v for k, v in values.items()}
    for column in JSON_TYPES.keys() & values.keys():
        value = values[column]
        params[column] = None if value is None else json.dumps(_adapter(column).dump_python(value, mode="json"))
    return params


def _affiliate(row: Row) -> Affiliate:
    values = dict(row)
    values["status"] = AffiliateStatus(values["status"])
    for column in JSON_TYPES:
        if values[column] is not None:
            values[column] = _adapter(column).validate_python(values[column])
    return Affiliate(**values)
