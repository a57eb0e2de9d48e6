"""Paging (contract §1.2), the `filter=` of list endpoints and the `*table` searches (§2.1-2.3)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from shared.adapters.everflow.sandbox_fields import Json, bad_request, mapping, objects, text
from shared.adapters.everflow.sandbox_state import Kind
from shared.adapters.everflow.sandbox_tracking import encoded_value

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 2000
_FILTER = re.compile(r"^\s*(\w+)\s*(>=|<=|!=|=|>|<)\s*(.*?)\s*$")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b, "!=": lambda a, b: a != b, ">": lambda a, b: a > b,
    "<": lambda a, b: a < b, ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b,
}
# `*table` filter -> (record field, how it matches); filters naming another kind's field are ignored
SEARCH_FILTERS = {
    "account_status": "account_status", "offer_status": "offer_status",
    "account_manager_ids": "network_employee_id", "network_advertiser_ids": "network_advertiser_id",
    "visibilities": "visibility", "network_tracking_domain_ids": "network_tracking_domain_id",
    "network_category_ids": "network_category_id", "network_offer_group_id": "network_offer_group_id",
}
SEARCH_TYPES = {Kind.ADVERTISERS: ("name",), Kind.AFFILIATES: ("name",),
                Kind.OFFERS: ("name", "encoded_value", "advertiser_name")}


def page_params(args: Mapping[str, str], body: Json) -> tuple[int, int]:
    """Page and page size from the query string, else the body, else the body's `paging` object."""
    sent = body.get("paging")
    paging: Json = sent if isinstance(sent, dict) else {}
    page = _paging_value("page", 1, args, body, paging)
    size = _paging_value("page_size", DEFAULT_PAGE_SIZE, args, body, paging)
    if page < 1:
        raise bad_request("page must be at least 1")
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise bad_request(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    return page, size


def _paging_value(name: str, default: int, args: Mapping[str, str], body: Json, paging: Json) -> int:
    raw: Any = args[name] if name in args else body.get(name, paging.get(name, default))
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise bad_request(f"{name} must be an integer") from None
    if isinstance(raw, bool) or (isinstance(raw, float) and raw != value):
        raise bad_request(f"{name} must be an integer")
    return value


def paged(list_key: str, items: list[Json], page: int, size: int) -> Json:
    """One page of items, with Everflow's `paging` object."""
    return {list_key: items[(page - 1) * size: page * size],
            "paging": {"page": page, "page_size": size, "total_count": len(items)}}


def list_filter(records: list[Json], filters: list[str]) -> list[Json]:
    """`GET ...?filter=time_saved>1700000000&filter=account_status=active`: every filter must hold."""
    for raw in filters:
        match = _FILTER.match(raw)
        if match is None:
            raise bad_request(f"invalid filter: {raw}")
        field, operator, value = match.groups()  # a field the sandbox does not hold filters nothing out
        records = [record for record in records if field not in record or _holds(record[field], operator, value)]
    return records


def _holds(actual: Any, operator: str, wanted: str) -> bool:
    if isinstance(actual, bool) or not isinstance(actual, int):
        return _COMPARE[operator](str(actual).lower(), wanted.lower())
    try:
        return _COMPARE[operator](actual, int(wanted))
    except ValueError:
        raise bad_request(f"filter value {wanted} must be an integer") from None


def search(kind: Kind, records: list[Json], body: Json, *, advertiser_names: Mapping[int, str]) -> list[Json]:
    """`POST /v1/networks/<kind>table`: every search term and every filter must match."""
    for index, term in enumerate(objects(body, "search_terms")):
        search_type = text(term, "search_type", required=True, where=f"search_terms[{index}].")
        if search_type not in SEARCH_TYPES[kind]:
            raise bad_request(f"search_type must be one of: {', '.join(SEARCH_TYPES[kind])}")
        value = str(term.get("value") or "").lower()
        records = [record for record in records
                   if value in _searched(kind, record, search_type, advertiser_names).lower()]
    filters = mapping(body, "filters") or {}
    for name, value in filters.items():
        records = [record for record in records if _filter_holds(record, name, value)]
    return records


def _searched(kind: Kind, record: Json, search_type: str, advertiser_names: Mapping[int, str]) -> str:
    if search_type == "encoded_value":
        return encoded_value(kind, record[kind.id_field])
    if search_type == "advertiser_name":
        return advertiser_names.get(record["network_advertiser_id"], "")
    return str(record["name"])


def _filter_holds(record: Json, name: str, value: Any) -> bool:
    if value in (None, "", []):
        return True
    wanted = value if isinstance(value, list) else [value]
    if name == "labels":
        return bool(set(record.get("labels", [])) & set(wanted))
    field = SEARCH_FILTERS.get(name)
    if field is None or field not in record:
        return True
    return record[field] in wanted
