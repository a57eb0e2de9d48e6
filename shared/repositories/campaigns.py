"""SQL for campaigns, and the little a campaign needs to know about its advertiser."""

from __future__ import annotations

import enum
from dataclasses import fields
from typing import Any

from shared.db.session import Row, Session
from shared.domain.campaign_terms import PayoutType, RevenueType
from shared.domain.campaigns import (
    AdvertiserRef,
    Campaign,
    CampaignFilter,
    CampaignSort,
    CampaignSpec,
    CampaignStatus,
    ConversionMethod,
    SessionDefinition,
    Visibility,
)
from shared.domain.paging import TOTAL_CAP, PageRequest, PageResult
from shared.domain.principal import TenantScope

SPEC_COLUMNS = tuple(f.name for f in fields(CampaignSpec))
COLUMNS = ", ".join(f.name for f in fields(Campaign))
ENUMS: dict[str, type[enum.Enum]] = {
    "status": CampaignStatus, "visibility": Visibility, "conversion_method": ConversionMethod,
    "session_definition": SessionDefinition, "payout_type": PayoutType, "revenue_type": RevenueType,
}
# The sort whitelist: a client names a key, never a column.
SORT_COLUMNS = {
    CampaignSort.CAMPAIGN_ID: "campaign_id", CampaignSort.NAME: "lower(name)", CampaignSort.STATUS: "status",
    CampaignSort.CREATED_AT: "created_at", CampaignSort.UPDATED_AT: "updated_at",
    CampaignSort.START_DATE: "start_date", CampaignSort.END_DATE: "end_date",
}
# Campaigns without these dates come last in either direction. The other keys are NOT NULL, so they
# get no NULLS clause: then one ascending index serves both directions (read backwards for DESC).
NULLABLE_SORTS = frozenset({CampaignSort.START_DATE, CampaignSort.END_DATE})


class CampaignRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, spec: CampaignSpec) -> Campaign:
        values = {name: _db_value(getattr(spec, name)) for name in SPEC_COLUMNS}
        row = self._session.fetch_one(
            f"INSERT INTO campaigns ({', '.join(values)}) VALUES ({', '.join(f':{c}' for c in values)})"
            f" RETURNING {COLUMNS}",
            **values,
        )
        assert row is not None
        return _campaign(row)

    def get(self, campaign_id: int, scope: TenantScope, *, for_update: bool = False) -> Campaign | None:
        where, params = _scope(scope)
        lock = " FOR UPDATE" if for_update else ""
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM campaigns WHERE campaign_id = :id AND {where}{lock}", id=campaign_id, **params)
        return _campaign(row) if row else None

    def update(self, campaign_id: int, changes: dict[str, Any]) -> Campaign:
        """Write the changed columns; the trigger bumps `version`, archiving stamps `archived_at`."""
        assignments = [f"{column} = :{column}" for column in changes]
        if changes.get("status") is CampaignStatus.ARCHIVED:
            assignments.append("archived_at = now()")
        row = self._session.fetch_one(
            f"UPDATE campaigns SET {', '.join(assignments)} WHERE campaign_id = :id RETURNING {COLUMNS}",
            id=campaign_id, **{k: _db_value(v) for k, v in changes.items()},
        )
        assert row is not None
        return _campaign(row)

    def list(self, scope: TenantScope, page: PageRequest, where: CampaignFilter) -> PageResult[Campaign]:
        """The page in index order, and its total counted up to the cap: two queries whatever the page size."""
        clauses, params = _filters(scope, where)
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM campaigns WHERE {clauses} ORDER BY {_order(where)} LIMIT :limit OFFSET :offset",
            limit=page.page_size, offset=page.offset, **params,
        )
        matched = self._session.fetch_value(
            f"SELECT count(*) FROM (SELECT 1 FROM campaigns WHERE {clauses} LIMIT {TOTAL_CAP + 1}) AS capped",
            **params)
        return PageResult.counted([_campaign(r) for r in rows], int(matched), page)

    def advertiser(self, advertiser_id: int, scope: TenantScope, *, lock: bool = False) -> AdvertiserRef | None:
        """The advertiser if the scope may see it; `lock` keeps it from being archived until commit."""
        where, params = _scope(scope)
        row = self._session.fetch_one(
            f"SELECT advertiser_id, organization_id, status FROM advertisers WHERE advertiser_id = :id AND {where}"
            + (" FOR SHARE" if lock else ""),
            id=advertiser_id, **params,
        )
        return AdvertiserRef(row["advertiser_id"], row["organization_id"], row["status"]) if row else None


def _scope(scope: TenantScope) -> tuple[str, dict[str, Any]]:
    if scope.organization_ids is None:
        return "TRUE", {}
    return "organization_id = ANY(CAST(:scope AS BIGINT[]))", {"scope": sorted(scope.organization_ids)}


def _filters(scope: TenantScope, where: CampaignFilter) -> tuple[str, dict[str, Any]]:
    clause, params = _scope(scope)
    clauses = [clause]
    conditions = (
        ("organization_id = :organization_id", "organization_id", where.organization_id),
        ("advertiser_id = :advertiser_id", "advertiser_id", where.advertiser_id),
        ("status = :status", "status", _db_value(where.status)),
        ("visibility = :visibility", "visibility", _db_value(where.visibility)),
        ("name ILIKE :search ESCAPE '\\'", "search", _contains(where.search)),
    )
    for condition, name, value in conditions:
        if value is not None:
            clauses.append(condition)
            params[name] = value
    if where.status is None and not where.include_archived:
        clauses.append("status <> 'archived'")
    return " AND ".join(clauses), params


def _order(where: CampaignFilter) -> str:
    direction = "DESC" if where.descending else "ASC"
    order = f"{SORT_COLUMNS[where.sort_by]} {direction}"
    if where.sort_by in NULLABLE_SORTS:
        order += " NULLS LAST"
    if where.sort_by is not CampaignSort.CAMPAIGN_ID:
        order += f", campaign_id {direction}"
    return order


def _contains(text: str | None) -> str | None:
    """A LIKE pattern matching `text` anywhere, its wildcards taken literally."""
    if text is None:
        return None
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _db_value(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _campaign(row: Row) -> Campaign:
    values = {k: row[k] for k in (f.name for f in fields(Campaign))}
    for name, kind in ENUMS.items():
        values[name] = kind(values[name])
    return Campaign(**values)
