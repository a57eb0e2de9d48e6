"""One function per Everflow endpoint the sandbox serves, each taking the parsed call and returning the JSON answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.datastructures import MultiDict

from shared.adapters.everflow.sandbox_fields import Json, bad_request
from shared.adapters.everflow.sandbox_listing import list_filter, page_params, paged, search
from shared.adapters.everflow.sandbox_offers import parse_offer
from shared.adapters.everflow.sandbox_partners import parse_advertiser, parse_affiliate
from shared.adapters.everflow.sandbox_render import render, wanted
from shared.adapters.everflow.sandbox_reports import entity_report, todays_metrics
from shared.adapters.everflow.sandbox_state import Kind, SandboxConfig, SandboxState
from shared.adapters.everflow.sandbox_streams import clicks_report, conversions_report
from shared.adapters.everflow.sandbox_tracking import generate_link


@dataclass(frozen=True)
class Call:
    """One authenticated API call, routed and parsed."""

    config: SandboxConfig
    state: SandboxState
    body: Json
    args: MultiDict[str, str]
    route_kind: Kind | None = None  # set on the advertiser, affiliate and offer routes
    entity_id: int = 0  # set on the routes with an id in the path

    @property
    def kind(self) -> Kind:
        assert self.route_kind is not None, "an entity route always names its kind"
        return self.route_kind

    def render(self, record: Json, *, written: bool) -> Json:
        return render(self.kind, record, asked=wanted(self.args), written=written, state=self.state,
                      reporting=todays_metrics(self.state))


def create(call: Call) -> Json:
    """POST /v1/networks/<kind>: 200 with the stored object (Everflow answers creates with 200)."""
    with call.state.lock:
        record = _parse(call)
        _check_references(call, record)
        _check_new_users(call, record)
        stored = call.state.insert(call.kind, record)
    return call.render(stored, written=True)


def update(call: Call) -> Json:
    """PUT /v1/networks/<kind>/<id>: full replacement; omitted fields go back to their defaults."""
    with call.state.lock:
        call.state.get(call.kind, call.entity_id)
        record = _parse(call)
        _check_references(call, record)
        stored = call.state.replace(call.kind, call.entity_id, record)
    return call.render(stored, written=True)


def read(call: Call) -> Json:
    return call.render(call.state.get(call.kind, call.entity_id), written=False)


def list_all(call: Call) -> Json:
    """GET /v1/networks/<kind>?page=&page_size=&filter=..."""
    records = list_filter(call.state.records(call.kind), call.args.getlist("filter"))
    return _page(call, records)


def find(call: Call) -> Json:
    """POST /v1/networks/<kind>table (and /<kind>/table): search terms and filters."""
    names = {record["network_advertiser_id"]: record["name"] for record in call.state.records(Kind.ADVERTISERS)}
    return _page(call, search(call.kind, call.state.records(call.kind), call.body, advertiser_names=names))


def _page(call: Call, records: list[Json]) -> Json:
    page, size = page_params(call.args, call.body)
    result = paged(call.kind.value, records, page, size)
    result[call.kind.value] = [call.render(record, written=False) for record in result[call.kind.value]]
    return result


def _parse(call: Call) -> Json:
    strict = call.config.strict
    if call.kind is Kind.ADVERTISERS:
        return parse_advertiser(call.body, strict=strict)
    if call.kind is Kind.AFFILIATES:
        return parse_affiliate(call.body, strict=strict)
    return parse_offer(call.body, strict=strict, tracking_domains=call.config.tracking_domains,
                       default_domain=call.config.default_tracking_domain_id)


def _check_references(call: Call, record: Json) -> None:
    if call.kind is not Kind.OFFERS:
        return
    advertiser_id = record["network_advertiser_id"]
    if call.state.find(Kind.ADVERTISERS, advertiser_id) is None:
        raise bad_request(f"network_advertiser_id {advertiser_id} does not exist")


def _check_new_users(call: Call, record: Json) -> None:
    seen: set[str] = set()
    for index, user in enumerate(record.get("users", [])):
        if user["email"] in seen or call.state.email_taken(call.kind, user["email"]):
            raise bad_request(f"users[{index}].email is already in use")
        seen.add(user["email"])


def tracking_link(call: Call) -> Json:
    return generate_link(call.body, state=call.state, config=call.config)


def entity(call: Call) -> Json:
    return entity_report(call.body, call.state)


def conversion_list(call: Call) -> Json:
    return conversions_report(call.body, call.args, call.state)


def click_stream(call: Call) -> Json:
    return clicks_report(call.body, call.state, call.config)


HANDLERS: dict[str, Callable[[Call], Json]] = {
    "create": create, "update": update, "read": read, "list": list_all, "search": find,
    "tracking": tracking_link, "entity": entity, "conversions": conversion_list, "clicks": click_stream,
}
