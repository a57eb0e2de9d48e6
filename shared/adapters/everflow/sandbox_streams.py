"""Raw conversions (contract §2.5b, paged) and the click stream (§2.5c), from the same traffic as the entity report."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from typing import Any

from shared.adapters.everflow.sandbox_data import (
    Conversion,
    Pair,
    click_revenue,
    click_unix,
    conversion_id,
    conversions,
    traffic,
    transaction_id,
)
from shared.adapters.everflow.sandbox_fields import Json, bad_request, boolean
from shared.adapters.everflow.sandbox_listing import page_params
from shared.adapters.everflow.sandbox_partners import currency
from shared.adapters.everflow.sandbox_render import summary
from shared.adapters.everflow.sandbox_report_query import ID_RESOURCES, Catalog, days, moment, scope, timezone, today
from shared.adapters.everflow.sandbox_state import Kind, SandboxConfig, SandboxState
from shared.adapters.everflow.sandbox_tracking import base_link
from shared.adapters.everflow.sandbox_visitors import Visitor

CONVERSION_STATUSES = frozenset({"approved", "pending", "rejected", "invalid"})
CONVERSION_RETENTION = dt.timedelta(days=365)
LONGEST_CONVERSION_RANGE = dt.timedelta(days=366)
LONGEST_CLICK_RANGE = dt.timedelta(days=14)
CLICK_RETENTION = dt.timedelta(days=92)  # "raw clicks kept 3 months"
MAX_CLICKS = 10_000
BLANKS = {name: "" for name in ("source_id", "sub1", "sub2", "sub3", "sub4", "sub5", "coupon_code", "referer")}
Found = tuple[int, str, Pair, dt.date, Any]  # (unix time, id, pair, day, conversion or click index)


def conversions_report(body: Json, args: Mapping[str, str], state: SandboxState) -> Json:
    """`POST /v1/networks/reporting/conversions`: every conversion is approved; newest first."""
    start, end = _period(body, dates=True, longest=LONGEST_CONVERSION_RANGE)
    timezone(body)
    shown = boolean(body, "show_conversions", required=True)
    boolean(body, "show_events", required=True)  # the sandbox records no events beyond the base conversion
    if body.get("currency_id") is not None:
        currency(body, "currency_id")
    boolean(body, "show_only_ct")
    only_missing = any(boolean(body, name) for name in ("show_only_vt", "show_only_scrub", "show_only_fail_traffic"))
    filters = scope(body, resource_types=(*ID_RESOURCES, "status"))
    if filters.statuses and not filters.statuses <= CONVERSION_STATUSES:
        raise bad_request(f"status filters must be among: {', '.join(sorted(CONVERSION_STATUSES))}")
    page, size = page_params(args, body)
    catalog = Catalog.load(state)
    approved = filters.statuses is None or "approved" in filters.statuses
    found = _conversions(catalog.pairs(filters), start, end, state) if shown and approved and not only_missing else []
    found.sort(key=lambda item: (-item[0], item[1]))
    rows = [_conversion_row(catalog, pair, day, item) for _, _, pair, day, item in found[(page - 1) * size:page * size]]
    return {"conversions": rows, "paging": {"page": page, "page_size": size, "total_count": len(found)}}


def clicks_report(body: Json, state: SandboxState, config: SandboxConfig) -> Json:
    """`POST /v1/networks/reporting/clicks/stream`: at most 14 days, 3 months back, 10,000 clicks, oldest first."""
    start, end = _period(body, dates=False, longest=LONGEST_CLICK_RANGE)
    timezone(body)
    filters = scope(body, resource_types=ID_RESOURCES)
    catalog = Catalog.load(state)
    start = max(start, state.now() - int(CLICK_RETENTION.total_seconds()))
    found: list[Found] = []
    for pair in catalog.pairs(filters):
        for day in _days_between(start, end, state) if start < end else []:
            found.extend((unix, transaction_id(pair, day, index), pair, day, index)
                         for index in range(traffic(pair, day)[1])
                         if start <= (unix := click_unix(pair, day, index)) < end)
    found.sort(key=lambda item: (item[0], item[1]))
    return {"clicks": [_click_row(catalog, config, item) for item in found[:MAX_CLICKS]]}


def _period(body: Json, *, dates: bool, longest: dt.timedelta) -> tuple[int, int]:
    start, end = moment(body, "from", dates=dates, end=False), moment(body, "to", dates=dates, end=True)
    if end <= start:
        raise bad_request("to must be after from")
    if end - start > longest:
        raise bad_request(f"the range from/to must not exceed {longest.days} days")
    return calendar.timegm(start.timetuple()), calendar.timegm(end.timetuple())


def _days_between(start: int, end: int, state: SandboxState) -> list[dt.date]:
    first = dt.datetime.fromtimestamp(start, dt.UTC).date()
    last = min(dt.datetime.fromtimestamp(end - 1, dt.UTC).date(), today(state))
    return list(days(first, last))


def _conversions(pairs: list[Pair], start: int, end: int, state: SandboxState) -> list[Found]:
    kept_from = calendar.timegm((today(state) - CONVERSION_RETENTION).timetuple())
    start = max(start, kept_from)
    found: list[Found] = []
    for day in _days_between(start, end, state) if start < end else []:
        for pair in pairs:
            found.extend((item.unix, conversion_id(pair, day, item.index), pair, day, item)
                         for item in conversions(pair, day) if start <= item.unix < end)
    return found


def _relationship(catalog: Catalog, pair: Pair) -> Json:
    return {"offer": summary(Kind.OFFERS, catalog.offers[pair.offer_id]),
            "affiliate": summary(Kind.AFFILIATES, catalog.affiliates[pair.affiliate_id]),
            "advertiser": summary(Kind.ADVERTISERS, catalog.advertisers.get(pair.advertiser_id, {}))}


def _conversion_row(catalog: Catalog, pair: Pair, day: dt.date, item: Conversion) -> Json:
    offer = catalog.offers[pair.offer_id]
    return {
        "conversion_id": conversion_id(pair, day, item.index), "conversion_unix_timestamp": item.unix,
        "click_unix_timestamp": item.click_unix, "transaction_id": transaction_id(pair, day, item.click_index),
        "status": "approved", "payout_type": pair.money.payout_type, "revenue_type": pair.money.revenue_type,
        "payout": item.payout / 100, "revenue": item.revenue / 100, "sale_amount": item.sale / 100,
        "currency_id": offer["currency_id"], **BLANKS, **{f"adv{n}": "" for n in range(1, 6)},
        "is_event": False, "event": "Base", "is_scrub": False, "is_view_through": False, "order_id": "",
        "error_code": 0, "error_message": "", "notes": "", "url": "",
        **Visitor(pair, day, item.click_index).flat(), "relationship": _relationship(catalog, pair),
    }


def _click_row(catalog: Catalog, config: SandboxConfig, item: Found) -> Json:
    unix, transaction, pair, day, index = item
    offer = catalog.offers[pair.offer_id]
    visitor = Visitor(pair, day, index)
    unique = index < traffic(pair, day)[2]
    host = config.tracking_domains.get(offer["network_tracking_domain_id"], "")
    return {
        "transaction_id": transaction, "is_unique": unique, "unix_timestamp": unix,
        "tracking_url": base_link(host, pair.affiliate_id, pair.offer_id), **BLANKS,
        "revenue_type": pair.money.revenue_type, "revenue": click_revenue(pair.money) / 100 if unique else 0.0,
        "error_code": 0, "error_message": "", "user_ip": visitor.ip, "currency_id": offer["currency_id"],
        "relationship": {**_relationship(catalog, pair), "geolocation": visitor.geolocation(),
                         "device_information": visitor.device_information(), "query_parameters": {}},
    }
