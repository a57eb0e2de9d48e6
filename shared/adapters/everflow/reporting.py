"""Everflow's reporting API (contract §2.5) in our terms: tenant filters, request bodies, parsed answers.

A `ReportFilter` is what a tenant may see. Values of one resource type are OR-ed and different
types AND-ed (Everflow's rule), so narrowing a tenant's filter by offer or affiliate can only ever
shrink what it shows. An empty filter shows nothing and must never reach Everflow: a query without
filters would answer with the whole network.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.domain.reporting import Metrics

Json = dict[str, Any]
CURRENCY = "USD"
TIME_COLUMNS = frozenset({"hour", "date", "week", "month", "year"})
MOMENT_FORMAT = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class ReportFilter:
    """Everflow ids a tenant's reports are limited to; `everything` is the platform owner's unlimited view."""

    advertisers: frozenset[int] = frozenset()
    affiliates: frozenset[int] = frozenset()
    offers: frozenset[int] = frozenset()
    everything: bool = False

    @classmethod
    def unlimited(cls) -> ReportFilter:
        return cls(everything=True)

    @property
    def is_empty(self) -> bool:
        """True when the tenant may see nothing: never call Everflow then."""
        return not self.everything and not (self.advertisers or self.affiliates or self.offers)

    def narrow(self, *, offers: Iterable[int] | None = None, affiliates: Iterable[int] | None = None,
               advertisers: Iterable[int] | None = None) -> ReportFilter:
        """This filter further limited to the given ids (None: no further limit); never wider than before."""
        if self.is_empty:
            return self
        limits = {"offers": offers, "affiliates": affiliates, "advertisers": advertisers}
        narrowed: dict[str, frozenset[int]] = {}
        for name, wanted in limits.items():
            if wanted is None:
                continue
            current: frozenset[int] = getattr(self, name)
            narrowed[name] = frozenset(wanted) & current if current else frozenset(wanted)
            if not narrowed[name]:
                return ReportFilter()
        return ReportFilter(narrowed.get("advertisers", self.advertisers), narrowed.get("affiliates", self.affiliates),
                            narrowed.get("offers", self.offers), self.everything)

    def key(self) -> str:
        """A stable text naming exactly this filter, for cache keys."""
        def ids(values: frozenset[int]) -> str:
            return ",".join(map(str, sorted(values)))

        scope = "all" if self.everything else "only"
        return f"{scope}|adv:{ids(self.advertisers)}|aff:{ids(self.affiliates)}|off:{ids(self.offers)}"

    def query(self) -> Json:
        """Everflow's `query` object: one filter per id, OR within a resource type, AND across types."""
        filters = [{"resource_type": kind, "filter_id_value": str(value)}
                   for kind, values in (("advertiser", self.advertisers), ("affiliate", self.affiliates),
                                        ("offer", self.offers))
                   for value in sorted(values)]
        return {"filters": filters}


def _checked(where: ReportFilter) -> ReportFilter:
    if where.is_empty:  # a body without filters would report the whole network
        raise ValueError("an empty report filter must not reach Everflow")
    return where


def entity_body(start: dt.date, end: dt.date, timezone_id: int, columns: Sequence[str],
                where: ReportFilter) -> Json:
    """The body of `POST /v1/networks/reporting/entity` for these days (both included) and columns."""
    return {"from": start.isoformat(), "to": end.isoformat(), "timezone_id": timezone_id, "currency_id": CURRENCY,
            "columns": [{"column": column} for column in columns], "query": _checked(where).query()}


def conversions_body(start: dt.date, end: dt.date, timezone_id: int, where: ReportFilter, *,
                     status: str | None = None) -> Json:
    """The body of `POST /v1/networks/reporting/conversions`: conversions (not events) of these days,
    only those of one `status` (approved, pending, rejected, invalid) when given."""
    query = _checked(where).query()
    if status is not None:
        query["filters"].append({"resource_type": "status", "filter_id_value": status})
    return {"from": start.isoformat(), "to": end.isoformat(), "timezone_id": timezone_id, "currency_id": CURRENCY,
            "show_conversions": True, "show_events": False, "query": query}


def clicks_body(start: dt.datetime, end: dt.datetime, timezone_id: int, where: ReportFilter) -> Json:
    """The body of `POST /v1/networks/reporting/clicks/stream`: clicks from `start` up to `end` (both local)."""
    return {"from": start.strftime(MOMENT_FORMAT), "to": end.strftime(MOMENT_FORMAT), "timezone_id": timezone_id,
            "query": _checked(where).query()}


def _cents(value: Any) -> int:
    return round(float(value or 0) * 100)


def parse_metrics(reporting: Mapping[str, Any]) -> Metrics:
    """Our metrics from Everflow's `reporting` object (money in currency units, as Everflow sends it)."""
    return Metrics(impressions=int(reporting.get("imp") or 0), clicks=int(reporting.get("total_click") or 0),
                   unique_clicks=int(reporting.get("unique_click") or 0), conversions=int(reporting.get("cv") or 0),
                   revenue_cents=_cents(reporting.get("revenue")), payout_cents=_cents(reporting.get("payout")))


@dataclass(frozen=True)
class Dimension:
    """One column value of a report row: Everflow's id (a string, as Everflow sends it) and its label."""

    id: str
    label: str


@dataclass(frozen=True)
class EntityRow:
    dims: dict[str, Dimension]
    metrics: Metrics

    def to_json(self) -> Json:
        return {"dims": {name: [dim.id, dim.label] for name, dim in self.dims.items()},
                "metrics": self.metrics.to_json()}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> EntityRow:
        return cls({name: Dimension(str(pair[0]), str(pair[1])) for name, pair in value["dims"].items()},
                   Metrics.from_json(value["metrics"]))


@dataclass(frozen=True)
class EntityReport:
    """Totals and one row per combination of the asked columns; `incomplete` when Everflow cut the table."""

    summary: Metrics = field(default_factory=Metrics)
    rows: tuple[EntityRow, ...] = ()
    incomplete: bool = False

    def to_json(self) -> Json:
        return {"summary": self.summary.to_json(), "rows": [row.to_json() for row in self.rows],
                "incomplete": self.incomplete}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> EntityReport:
        return cls(Metrics.from_json(value["summary"]), tuple(EntityRow.from_json(row) for row in value["rows"]),
                   bool(value["incomplete"]))


def parse_entity(body: Mapping[str, Any], columns: Sequence[str]) -> EntityReport:
    """An entity report answer; rows keep only the asked columns (the partner variant nests rows)."""
    table = body.get("table") or []
    if isinstance(table, Mapping):
        table = table.get("rows") or []
    rows = tuple(_row(item, columns) for item in table)
    return EntityReport(parse_metrics(body.get("summary") or {}), rows, bool(body.get("incomplete_results")))


def _row(item: Mapping[str, Any], columns: Sequence[str]) -> EntityRow:
    cells = {cell.get("column_type"): cell for cell in item.get("columns") or []}
    dims = {name: Dimension(str(cells.get(name, {}).get("id", "")), str(cells.get(name, {}).get("label", "")))
            for name in columns}
    return EntityRow(dims, parse_metrics(item.get("reporting") or {}))


@dataclass(frozen=True)
class Parties:
    """The offer, affiliate and advertiser a conversion or click belongs to, as Everflow names them."""

    offer: Dimension
    affiliate: Dimension
    advertiser: Dimension

    def to_json(self) -> Json:
        return {name: [dim.id, dim.label] for name, dim in
                (("offer", self.offer), ("affiliate", self.affiliate), ("advertiser", self.advertiser))}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Parties:
        return cls(*(Dimension(str(value[name][0]), str(value[name][1]))
                     for name in ("offer", "affiliate", "advertiser")))


def _parties(relationship: Mapping[str, Any]) -> Parties:
    def party(kind: str) -> Dimension:
        record = relationship.get(kind) or {}
        entity_id = record.get(f"network_{kind}_id")
        return Dimension("" if entity_id is None else str(entity_id), str(record.get("name") or ""))

    return Parties(party("offer"), party("affiliate"), party("advertiser"))


@dataclass(frozen=True)
class Conversion:
    """One conversion as the reports show it; money in cents, times as Unix seconds."""

    conversion_id: str
    unix: int
    click_unix: int
    transaction_id: str
    status: str
    payout_cents: int
    revenue_cents: int
    sale_cents: int
    currency_id: str
    parties: Parties
    sub1: str = ""
    sub2: str = ""
    sub3: str = ""
    sub4: str = ""
    sub5: str = ""
    source_id: str = ""
    country: str = ""
    device_type: str = ""

    def to_json(self) -> Json:
        return {**{name: getattr(self, name) for name in CONVERSION_FIELDS}, "parties": self.parties.to_json()}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Conversion:
        return cls(**{name: value[name] for name in CONVERSION_FIELDS}, parties=Parties.from_json(value["parties"]))


SUB_IDS = ("source_id", "sub1", "sub2", "sub3", "sub4", "sub5")
CONVERSION_FIELDS = ("conversion_id", "unix", "click_unix", "transaction_id", "status", "payout_cents",
                     "revenue_cents", "sale_cents", "currency_id", *SUB_IDS, "country", "device_type")


@dataclass(frozen=True)
class ConversionPage:
    """One page of conversions, newest first, and how many there are in all."""

    conversions: tuple[Conversion, ...] = ()
    page: int = 1
    page_size: int = 50
    total: int = 0

    def to_json(self) -> Json:
        return {"conversions": [item.to_json() for item in self.conversions], "page": self.page,
                "page_size": self.page_size, "total": self.total}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> ConversionPage:
        return cls(tuple(Conversion.from_json(item) for item in value["conversions"]), int(value["page"]),
                   int(value["page_size"]), int(value["total"]))


def parse_conversions(body: Mapping[str, Any], *, page: int, page_size: int) -> ConversionPage:
    """A page of `POST /v1/networks/reporting/conversions`."""
    items = tuple(_conversion(item) for item in body.get("conversions") or [])
    paging = body.get("paging") or {}
    total = int(paging.get("total_count", len(items)) or 0)
    return ConversionPage(items, int(paging.get("page", page) or page), int(paging.get("page_size", page_size)
                                                                            or page_size), total)


def _conversion(item: Mapping[str, Any]) -> Conversion:
    return Conversion(
        conversion_id=str(item.get("conversion_id", "")), unix=int(item.get("conversion_unix_timestamp") or 0),
        click_unix=int(item.get("click_unix_timestamp") or 0), transaction_id=str(item.get("transaction_id", "")),
        status=str(item.get("status", "")), payout_cents=_cents(item.get("payout")),
        revenue_cents=_cents(item.get("revenue")), sale_cents=_cents(item.get("sale_amount")),
        currency_id=str(item.get("currency_id") or CURRENCY), parties=_parties(item.get("relationship") or {}),
        **_sub_ids(item), country=str(item.get("country") or ""), device_type=str(item.get("device_type") or ""))


@dataclass(frozen=True)
class Click:
    """One raw click as the reports show it; revenue in cents."""

    transaction_id: str
    unix: int
    is_unique: bool
    revenue_cents: int
    parties: Parties
    sub1: str = ""
    sub2: str = ""
    sub3: str = ""
    sub4: str = ""
    sub5: str = ""
    source_id: str = ""
    country: str = ""
    device_type: str = ""

    def to_json(self) -> Json:
        return {**{name: getattr(self, name) for name in CLICK_FIELDS}, "parties": self.parties.to_json()}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Click:
        return cls(**{name: value[name] for name in CLICK_FIELDS}, parties=Parties.from_json(value["parties"]))


CLICK_FIELDS = ("transaction_id", "unix", "is_unique", "revenue_cents", *SUB_IDS, "country", "device_type")
MAX_STREAMED_CLICKS = 10_000  # Everflow returns at most this many clicks and silently drops the rest


@dataclass(frozen=True)
class ClickList:
    """The clicks of a window, oldest first; `incomplete` when Everflow's 10,000-click cap was reached."""

    clicks: tuple[Click, ...] = ()
    incomplete: bool = False

    def to_json(self) -> Json:
        return {"clicks": [item.to_json() for item in self.clicks], "incomplete": self.incomplete}

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> ClickList:
        return cls(tuple(Click.from_json(item) for item in value["clicks"]), bool(value["incomplete"]))


def parse_clicks(body: Mapping[str, Any]) -> ClickList:
    """`POST /v1/networks/reporting/clicks/stream` (`clicks`, or `table` on some documented variants)."""
    items = body.get("clicks")
    if items is None:
        items = body.get("table") or []
    clicks = tuple(_click(item) for item in items)
    return ClickList(clicks, len(clicks) >= MAX_STREAMED_CLICKS)


def _sub_ids(item: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(item.get(name) or "") for name in SUB_IDS}


def _click(item: Mapping[str, Any]) -> Click:
    relationship = item.get("relationship") or {}
    geo, device = relationship.get("geolocation") or {}, relationship.get("device_information") or {}
    return Click(
        transaction_id=str(item.get("transaction_id", "")), unix=int(item.get("unix_timestamp") or 0),
        is_unique=bool(item.get("is_unique")), revenue_cents=_cents(item.get("revenue")),
        parties=_parties(relationship), **_sub_ids(item),
        country=str(geo.get("country_name") or geo.get("country_code") or ""),
        device_type=str(device.get("device_type") or ""))


def parse_timezones(body: Mapping[str, Any]) -> dict[str, int]:
    """`GET /v1/meta/timezones` as IANA name → Everflow's timezone id."""
    return {str(item["timezone"]): int(item["timezone_id"]) for item in body.get("timezones") or []
            if item.get("timezone") and item.get("timezone_id") is not None}
