"""What a sandbox report covers: its period, its filters (contract §2.5) and the offer/affiliate pairs in scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from shared.adapters.everflow.sandbox_data import Money, Pair
from shared.adapters.everflow.sandbox_fields import Json, bad_request, integer, mapping, objects, text
from shared.adapters.everflow.sandbox_offers import default_entry
from shared.adapters.everflow.sandbox_state import Kind, SandboxState

DATE_FORMAT = "%Y-%m-%d"
MOMENT_FORMAT = "%Y-%m-%d %H:%M:%S"
ID_RESOURCES = ("offer", "affiliate", "advertiser")


@dataclass(frozen=True)
class Scope:
    """Report filters: values of one resource_type are OR-ed, different resource_types AND-ed."""

    offers: frozenset[int] | None = None
    affiliates: frozenset[int] | None = None
    advertisers: frozenset[int] | None = None
    statuses: frozenset[str] | None = None

    def covers(self, pair: Pair) -> bool:
        return all(ids is None or value in ids for ids, value in (
            (self.offers, pair.offer_id), (self.affiliates, pair.affiliate_id),
            (self.advertisers, pair.advertiser_id)))


@dataclass(frozen=True)
class Catalog:
    """The stored objects a report names, read once per request."""

    offers: dict[int, Json]
    affiliates: dict[int, Json]
    advertisers: dict[int, Json]

    @classmethod
    def load(cls, state: SandboxState) -> Catalog:
        def by_id(kind: Kind) -> dict[int, Json]:
            return {record[kind.id_field]: record for record in state.records(kind)}

        return cls(by_id(Kind.OFFERS), by_id(Kind.AFFILIATES), by_id(Kind.ADVERTISERS))

    def pairs(self, scope: Scope) -> list[Pair]:
        """Every affiliate runs every offer in the sandbox; the scope narrows that down."""
        every = (_pair(offer, affiliate_id) for offer in self.offers.values() for affiliate_id in self.affiliates)
        return [pair for pair in every if scope.covers(pair)]


def _pair(offer: Json, affiliate_id: int) -> Pair:
    entry = default_entry(offer)
    money = Money(entry["payout_type"], round(entry["payout_amount"] * 100), entry["payout_percentage"],
                  entry["revenue_type"], round(entry["revenue_amount"] * 100), entry["revenue_percentage"])
    return Pair(offer["network_offer_id"], affiliate_id, offer["network_advertiser_id"], money)


def scope(body: Json, *, resource_types: Collection[str]) -> Scope:
    """The `query.filters` of a report body."""
    query = mapping(body, "query") or {}
    found: dict[str, set[str]] = {}
    for index, item in enumerate(objects(query, "filters", where="query.")):
        where = f"query.filters[{index}]."
        kind = text(item, "resource_type", required=True, where=where)
        if kind not in resource_types:
            raise bad_request(f"{where}resource_type {kind} is not supported by the sandbox")
        value = item.get("filter_id_value")
        if not isinstance(value, str | int) or isinstance(value, bool) or value == "":
            raise bad_request(f"{where}filter_id_value is required")
        found.setdefault(kind, set()).add(str(value))
    return Scope(offers=_ids(found.get("offer"), "offer"), affiliates=_ids(found.get("affiliate"), "affiliate"),
                 advertisers=_ids(found.get("advertiser"), "advertiser"),
                 statuses=frozenset(found["status"]) if "status" in found else None)


def _ids(values: set[str] | None, kind: str) -> frozenset[int] | None:
    if values is None:
        return None
    if not all(value.isdigit() for value in values):
        raise bad_request(f"filter_id_value of a {kind} filter must be an id")
    return frozenset(int(value) for value in values)


def timezone(body: Json) -> int:
    """Required on every report; the sandbox's data is in UTC whatever the zone."""
    return integer(body, "timezone_id", required=True)


def day(body: Json, name: str) -> dt.date:
    value = text(body, name, required=True)
    try:
        return dt.datetime.strptime(value, DATE_FORMAT).date()
    except ValueError:
        raise bad_request(f"{name} must be a date as YYYY-MM-DD") from None


def moment(body: Json, name: str, *, dates: bool, end: bool) -> dt.datetime:
    """A `YYYY-MM-DD HH:MM:SS` bound (or a whole day when `dates`), as a half-open UTC interval end."""
    value = text(body, name, required=True)
    try:
        return dt.datetime.strptime(value, MOMENT_FORMAT) + dt.timedelta(seconds=1 if end else 0)
    except ValueError:
        if not dates:
            raise bad_request(f"{name} must be a time as YYYY-MM-DD HH:MM:SS") from None
    parsed = day(body, name)
    return dt.datetime.combine(parsed + dt.timedelta(days=1 if end else 0), dt.time())


def check_period(start: dt.date, end: dt.date, *, longest_days: int) -> None:
    if end < start:
        raise bad_request("to must not be before from")
    if (end - start).days + 1 > longest_days:
        raise bad_request(f"the range from/to must not exceed {longest_days} days")


def days(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every day from start to end, both included."""
    current = start
    while current <= end:
        yield current
        current += dt.timedelta(days=1)


def today(state: SandboxState) -> dt.date:
    return dt.datetime.fromtimestamp(state.now(), dt.UTC).date()
