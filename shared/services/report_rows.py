"""Everflow's report records as our report rows: our campaign and affiliate ids and names, local times, money.

An Everflow id the tenant's scope knows is shown as our entity (id and our name); any other (an
affiliate of a partner, an offer of the network for a platform owner) keeps Everflow's label and a
null id of ours.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.adapters.everflow.reporting import SUB_IDS, Click, Conversion, Dimension, EntityRow, Parties
from shared.domain.reporting import MappedEntity
from shared.domain.reports import Row, local_time, performance
from shared.services.report_scope import TenantReportScope


def _number(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _money(cents: int) -> float:
    return round(cents / 100, 2)


def _entity(prefix: str, everflow_key: str, mapped: MappedEntity | None, dimension: Dimension) -> dict[str, Any]:
    return {f"{prefix}_id": mapped.entity_id if mapped else None,
            f"{prefix}_name": mapped.name if mapped else dimension.label, everflow_key: _number(dimension.id)}


def campaign(scope: TenantReportScope, offer: Dimension) -> dict[str, Any]:
    return _entity("campaign", "everflow_offer_id", scope.campaign(offer.id), offer)


def parties(scope: TenantReportScope, found: Parties) -> dict[str, Any]:
    return {**campaign(scope, found.offer),
            **_entity("affiliate", "everflow_affiliate_id", scope.affiliate(found.affiliate.id), found.affiliate)}


def campaign_row(scope: TenantReportScope, row: EntityRow) -> Row:
    """One offer's figures (an entity report grouped by offer)."""
    return {**campaign(scope, row.dims["offer"]), **performance(row.metrics)}


def daily_row(scope: TenantReportScope, row: EntityRow) -> Row:
    """One offer's figures of one day (grouped by date and offer)."""
    return {"date": row.dims["date"].label, **campaign_row(scope, row)}


def point(row: EntityRow, column: str) -> Row:
    """One hour, day, week or month of a time series, with its position for ordering."""
    dimension = row.dims[column]
    return {"period": dimension.label, "position": _number(dimension.id), **performance(row.metrics)}


def _sub_ids(record: Conversion | Click) -> dict[str, str]:
    return {name: getattr(record, name) for name in SUB_IDS}


def conversion_row(scope: TenantReportScope, item: Conversion, zone: dt.tzinfo) -> Row:
    return {"conversion_id": item.conversion_id, "conversion_time": local_time(item.unix, zone),
            "click_time": local_time(item.click_unix, zone) if item.click_unix else None,
            "transaction_id": item.transaction_id, "status": item.status, **parties(scope, item.parties),
            "payout": _money(item.payout_cents), "revenue": _money(item.revenue_cents),
            "sale_amount": _money(item.sale_cents), "currency": item.currency_id, "country": item.country,
            "device": item.device_type, **_sub_ids(item)}


def click_row(scope: TenantReportScope, item: Click, zone: dt.tzinfo) -> Row:
    return {"transaction_id": item.transaction_id, "click_time": local_time(item.unix, zone),
            "is_unique": item.is_unique, **parties(scope, item.parties), "revenue": _money(item.revenue_cents),
            "country": item.country, "device": item.device_type, **_sub_ids(item)}
