"""The Everflow sandbox over HTTP: contract behaviour (contract/everflow.md), report data, faults, thread safety."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.adapters.everflow.sandbox import SandboxConfig, SandboxServer, start_sandbox

NOW = 1_749_988_800  # 2025-06-15 12:00:00 UTC: "today" for every report below
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "everflow"
WEEK = {"from": "2025-06-01", "to": "2025-06-07"}


def payload(fixture: str, /, **changes: Any) -> dict[str, Any]:
    """A canonical create body from tests/fixtures/everflow, with changes."""
    return {**json.loads((FIXTURES / f"{fixture}.json").read_text()), **changes}


class Clock:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Everflow:
    """A plain HTTP client of the sandbox: paths are relative to its /v1 base."""

    def __init__(self, sandbox: SandboxServer) -> None:
        self.sandbox = sandbox
        self.http = requests.Session()
        self.http.headers["X-Eflow-API-Key"] = sandbox.api_key

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.http.request(method, self.sandbox.api_base_url + path, json=body, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def put(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, body, **kwargs)

    def admin(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, f"{self.sandbox.base_url}/__sandbox{path}", json=body, timeout=10)

    def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        response = self.call(method, path, body, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox(clock: Clock) -> Iterator[SandboxServer]:
    server = start_sandbox(SandboxConfig(clock=clock))
    yield server
    server.stop()


@pytest.fixture
def ef(sandbox: SandboxServer) -> Iterator[Everflow]:
    client = Everflow(sandbox)
    yield client
    client.http.close()


@pytest.fixture
def network(ef: Everflow) -> dict[str, Any]:
    """Two advertisers with one offer each, two affiliates."""
    for name in ("Acme", "Birch"):
        ef.ok("POST", "/networks/advertisers", payload("advertiser", name=name, users=[]))
    for advertiser_id, amount in ((1, 5.0), (2, 2.5)):
        entry = {**payload("offer")["payout_revenue"][0], "payout_amount": amount}
        ef.ok("POST", "/networks/offers", payload("offer", network_advertiser_id=advertiser_id,
                                                  name=f"Offer {advertiser_id}", payout_revenue=[entry]))
    for name in ("Trail", "Summit"):
        ef.ok("POST", "/networks/affiliates", payload("affiliate", name=name, users=[]))
    return {"offers": [1, 2], "affiliates": [1, 2]}


def report(ef: Everflow, columns: tuple[str, ...] = ("offer",), filters: tuple[tuple[str, int], ...] = (),
           path: str = "/networks/reporting/entity", period: dict[str, str] = WEEK) -> Any:
    body = {**period, "timezone_id": 67, "currency_id": "USD", "columns": [{"column": c} for c in columns],
            "query": {"filters": [{"resource_type": kind, "filter_id_value": str(value)} for kind, value in filters]}}
    return ef.ok("POST", path, body)


def error(response: requests.Response, status: int, key: str = "Error") -> str:
    assert response.status_code == status, response.text
    return str(response.json()[key])


# --- advertisers, affiliates, offers ---------------------------------------------------------------

def test_creates_answer_200_with_sequential_ids_and_unix_times(ef: Everflow) -> None:
    first = ef.ok("POST", "/networks/advertisers", payload("advertiser"))
    second = ef.ok("POST", "/networks/advertisers", payload("advertiser", users=[]))
    affiliate = ef.ok("POST", "/networks/affiliates", payload("affiliate"))
    assert (first["network_advertiser_id"], second["network_advertiser_id"]) == (1, 2)
    assert affiliate["network_affiliate_id"] == 1
    assert first["time_created"] == first["time_saved"] == NOW
    assert first["relationship"]["labels"] == {"total": 2, "entries": ["outdoor", "priority"]}
    assert "labels" not in first and "billing" not in first


def test_get_returns_only_the_relationships_asked_for(ef: Everflow) -> None:
    ef.ok("POST", "/networks/advertisers", payload("advertiser"))
    plain = ef.ok("GET", "/networks/advertisers/1")
    repeated = ef.ok("GET", "/networks/advertisers/1", params=[("relationship", "billing"),
                                                                ("relationship", "reporting")])
    joined = ef.ok("GET", "/networks/advertisers/1", params={"relationship": "billing,reporting"})
    assert set(plain["relationship"]) == {"labels", "account_manager"}
    assert repeated["relationship"]["billing"]["billing_frequency"] == "monthly"
    assert repeated["relationship"]["reporting"]["total_click"] == 0  # no offer, no traffic
    assert joined["relationship"] == repeated["relationship"]


def test_put_is_a_full_replacement(ef: Everflow) -> None:
    ef.ok("POST", "/networks/advertisers", payload("advertiser"))
    required = {"name": "Acme", "account_status": "inactive", "network_employee_id": 7, "default_currency_id": "EUR"}
    ef.ok("PUT", "/networks/advertisers/1", required)
    stored = ef.ok("GET", "/networks/advertisers/1", params={"relationship": "billing"})
    assert (stored["account_status"], stored["default_currency_id"]) == ("inactive", "EUR")
    assert stored["internal_notes"] == stored["platform_name"] == ""
    assert stored["reporting_timezone_id"] == 0
    assert stored["relationship"]["labels"]["entries"] == []
    assert stored["relationship"]["billing"] == {}


def test_time_saved_moves_only_when_a_base_level_field_changes(ef: Everflow, clock: Clock) -> None:
    ef.ok("POST", "/networks/advertisers", payload("advertiser"))
    clock.advance(100)
    nested_only = ef.ok("PUT", "/networks/advertisers/1", payload("advertiser", labels=["other"]))
    clock.advance(100)
    renamed = ef.ok("PUT", "/networks/advertisers/1", payload("advertiser", name="Acme Renamed"))
    assert nested_only["time_saved"] == NOW
    assert renamed["time_saved"] == NOW + 200
    assert renamed["time_created"] == NOW


@pytest.mark.parametrize(("kind", "field"), [
    ("advertiser", "name"), ("advertiser", "account_status"), ("advertiser", "network_employee_id"),
    ("advertiser", "default_currency_id"), ("affiliate", "name"), ("offer", "network_advertiser_id"),
    ("offer", "name"), ("offer", "destination_url"), ("offer", "offer_status"), ("offer", "payout_revenue"),
])
def test_a_missing_required_field_is_a_400(ef: Everflow, kind: str, field: str) -> None:
    ef.ok("POST", "/networks/advertisers", payload("advertiser", users=[]))
    body = payload(kind)
    del body[field]
    message = error(ef.post(f"/networks/{kind}s", body), 400)
    assert message == f"{field} is required"


@pytest.mark.parametrize(("kind", "changes", "field"), [
    ("advertiser", {"account_status": "pending"}, "account_status"),  # readable, not writable
    ("advertiser", {"attribution_method": "middle_touch"}, "attribution_method"),
    ("affiliate", {"account_status": "suspended"}, "account_status"),
    ("affiliate", {"billing": {"payment_type": "cash"}}, "billing.payment_type"),
    ("offer", {"offer_status": "inactive"}, "offer_status"),  # the original backend's bug
    ("offer", {"visibility": "hidden"}, "visibility"),
    ("offer", {"payout_revenue": [{"payout_type": "cpx", "revenue_type": "rpa", "is_default": True}]},
     "payout_revenue[0].payout_type"),
    ("offer", {"payout_revenue": [{"payout_type": "cpa", "revenue_type": "rpx", "is_default": True}]},
     "payout_revenue[0].revenue_type"),
])
def test_a_value_outside_its_enum_is_a_400(ef: Everflow, kind: str, changes: dict[str, Any], field: str) -> None:
    ef.ok("POST", "/networks/advertisers", payload("advertiser", users=[]))
    assert error(ef.post(f"/networks/{kind}s", payload(kind, **changes)), 400).startswith(f"{field} must be one of")


def test_strict_mode_also_requires_the_fields_rb_and_tf_found_necessary(ef: Everflow) -> None:
    assert ef.admin("POST", "/config", {"strict": True}).json()["strict"] is True
    body = payload("advertiser")
    del body["reporting_timezone_id"]
    assert error(ef.post("/networks/advertisers", body), 400) == "reporting_timezone_id is required"
    without_billing = payload("affiliate")
    del without_billing["billing"]
    assert error(ef.post("/networks/affiliates", without_billing), 400) == "billing is required"
    ef.ok("POST", "/networks/advertisers", payload("advertiser"))


def test_affiliates_answer_with_adress_id_encoded_value_and_users(ef: Everflow) -> None:
    created = ef.ok("POST", "/networks/affiliates", payload("affiliate", address_id=12))
    plain = ef.ok("GET", "/networks/affiliates/1")
    with_users = ef.ok("GET", "/networks/affiliates/1", params={"relationship": "users"})
    assert created["adress_id"] == 12 and "address_id" not in created
    assert re.fullmatch(r"[0-9A-Z]{6}", plain["relationship"]["encoded_value"])
    assert "users" not in plain["relationship"]
    user = with_users["relationship"]["users"]["entries"][0]
    assert user["email"] == "sam@trailreviews.example" and "initial_password" not in user


def test_user_emails_are_unique_and_passwords_strong(ef: Everflow) -> None:
    ef.ok("POST", "/networks/affiliates", payload("affiliate"))
    assert error(ef.post("/networks/affiliates", payload("affiliate")), 400) == "users[0].email is already in use"
    weak = [{**payload("affiliate")["users"][0], "email": "new@x.example", "initial_password": "password"}]
    assert "initial_password" in error(ef.post("/networks/affiliates", payload("affiliate", users=weak)), 400)


def test_offer_payouts_come_back_under_relationship_on_get(ef: Everflow) -> None:
    ef.ok("POST", "/networks/advertisers", payload("advertiser"))
    created = ef.ok("POST", "/networks/offers", payload("offer"))
    fetched = ef.ok("GET", "/networks/offers/1", params={"relationship": "advertiser"})
    assert created["payout_revenue"][0]["payout_amount"] == 5.0
    assert "payout_revenue" not in fetched
    assert fetched["relationship"]["payout_revenue"]["entries"][0]["revenue_amount"] == 8.0
    assert fetched["relationship"]["advertiser"]["name"] == "Acme Outdoor Gear"
    assert re.fullmatch(r"[0-9A-Z]{6}", fetched["encoded_value"])


@pytest.mark.parametrize("defaults", [(True, True), (False, False)])
def test_payout_revenue_needs_exactly_one_default(ef: Everflow, defaults: tuple[bool, bool]) -> None:
    ef.ok("POST", "/networks/advertisers", payload("advertiser"))
    entry = payload("offer")["payout_revenue"][0]
    entries = [{**entry, "is_default": flag} for flag in defaults]
    message = error(ef.post("/networks/offers", payload("offer", payout_revenue=entries)), 400)
    assert message == "payout_revenue must have exactly one entry with is_default true"


def test_offers_must_name_a_stored_advertiser_and_tracking_domain(ef: Everflow) -> None:
    assert "network_advertiser_id" in error(ef.post("/networks/offers", payload("offer")), 400)
    ef.ok("POST", "/networks/advertisers", payload("advertiser"))
    unknown_domain = payload("offer", network_tracking_domain_id=99)
    assert "network_tracking_domain_id" in error(ef.post("/networks/offers", unknown_domain), 400)


def test_unknown_ids_paths_and_bodies(ef: Everflow) -> None:
    assert error(ef.get("/networks/offers/99"), 404) == "Offer not found"
    assert error(ef.put("/networks/affiliates/99", payload("affiliate")), 404) == "Affiliate not found"
    assert error(ef.get("/networks/nothing"), 404) == "Not found"
    bad = ef.call("POST", "/networks/advertisers", data=b"{nope", headers={"Content-Type": "application/json"})
    assert error(bad, 400) == "Invalid JSON"


# --- lists, paging, searches ----------------------------------------------------------------------

def test_lists_page_like_everflow(ef: Everflow) -> None:
    for index in range(5):
        ef.ok("POST", "/networks/advertisers", payload("advertiser", name=f"Adv {index}", users=[]))
    second = ef.ok("GET", "/networks/advertisers", params={"page": 2, "page_size": 2})
    last = ef.ok("GET", "/networks/advertisers", params={"page": 3, "page_size": 2})
    everything = ef.ok("GET", "/networks/advertisers")
    assert [a["network_advertiser_id"] for a in second["advertisers"]] == [3, 4]
    assert second["paging"] == {"page": 2, "page_size": 2, "total_count": 5}
    assert [a["network_advertiser_id"] for a in last["advertisers"]] == [5]
    assert everything["paging"] == {"page": 1, "page_size": 50, "total_count": 5}
    assert error(ef.get("/networks/advertisers", params={"page_size": 2001}), 400).startswith("page_size")
    assert error(ef.get("/networks/advertisers", params={"page": 0}), 400).startswith("page")


def test_post_searches_take_paging_from_the_query_body_or_paging_object(ef: Everflow) -> None:
    for index in range(5):
        ef.ok("POST", "/networks/affiliates", payload("affiliate", name=f"Aff {index}", users=[]))

    def ids(body: dict[str, Any], **params: Any) -> list[int]:
        found = ef.ok("POST", "/networks/affiliatestable", body, params=params)
        return [a["network_affiliate_id"] for a in found["affiliates"]]

    assert ids({"page": 2, "page_size": 2}) == [3, 4]
    assert ids({"paging": {"page": 3, "page_size": 2}}) == [5]
    assert ids({"page": 3, "page_size": 2}, page=1) == [1, 2]  # the query string wins


def test_list_filters_compare_fields(ef: Everflow, clock: Clock) -> None:
    ef.ok("POST", "/networks/advertisers", payload("advertiser", users=[]))
    clock.advance(60)
    ef.ok("POST", "/networks/advertisers", payload("advertiser", users=[], account_status="inactive"))
    newer = ef.ok("GET", "/networks/advertisers", params={"filter": f"time_saved>{NOW}"})
    inactive = ef.ok("GET", "/networks/advertisers", params={"filter": "account_status=inactive"})
    assert [a["network_advertiser_id"] for a in newer["advertisers"]] == [2]
    assert [a["network_advertiser_id"] for a in inactive["advertisers"]] == [2]


def test_table_searches_match_terms_and_filters(ef: Everflow, network: dict[str, Any]) -> None:
    ef.ok("PUT", "/networks/advertisers/2", payload("advertiser", name="Birch", account_status="suspended"))
    by_name = {"search_terms": [{"search_type": "name", "value": "bir"}], "filters": {"account_status": "suspended"}}
    assert ef.ok("POST", "/networks/advertiserstable", by_name)["paging"]["total_count"] == 1
    assert ef.ok("POST", "/networks/advertisers/table", by_name)["advertisers"][0]["name"] == "Birch"
    code = ef.ok("GET", "/networks/offers/2")["encoded_value"]
    for term in ({"search_type": "encoded_value", "value": code}, {"search_type": "advertiser_name", "value": "birch"}):
        found = ef.ok("POST", "/networks/offerstable", {"search_terms": [term]})
        assert [o["network_offer_id"] for o in found["offers"]] == [2]
    by_advertiser = ef.ok("POST", "/networks/offers/table", {"filters": {"network_advertiser_ids": [1]}})
    assert [o["network_offer_id"] for o in by_advertiser["offers"]] == [1]
    bad = ef.post("/networks/affiliatestable", {"search_terms": [{"search_type": "encoded_value", "value": "x"}]})
    assert error(bad, 400).startswith("search_type")


# --- tracking links -------------------------------------------------------------------------------

def test_tracking_links_are_deterministic(ef: Everflow, network: dict[str, Any]) -> None:
    body = {"network_offer_id": 2, "network_affiliate_id": 1, "source_id": "newsletter", "sub1": "spring",
            "sub3": "hero banner"}
    first = ef.ok("POST", "/networks/tracking/offers/clicks", body)
    again = ef.ok("POST", "/networks/tracking/offers/clicks", body)
    affiliate_code = ef.ok("GET", "/networks/affiliates/1")["relationship"]["encoded_value"]
    offer_code = ef.ok("GET", "/networks/offers/2")["encoded_value"]
    assert first == again == {"url": f"https://trk.sandbox-everflow.test/{affiliate_code}/{offer_code}/"
                                     "?source_id=newsletter&sub1=spring&sub3=hero+banner"}


def test_tracking_links_need_an_active_offer_and_affiliate(ef: Everflow, network: dict[str, Any]) -> None:
    link = "/networks/tracking/offers/clicks"
    assert error(ef.post(link, {"network_offer_id": 9, "network_affiliate_id": 1}), 404) == "Offer 9 not found"
    assert error(ef.post(link, {"network_offer_id": 1}), 400) == "network_affiliate_id is required"
    ef.ok("PUT", "/networks/offers/1", payload("offer", offer_status="paused"))
    ef.ok("PUT", "/networks/affiliates/2", payload("affiliate", users=[], account_status="inactive"))
    assert "not active" in error(ef.post(link, {"network_offer_id": 1, "network_affiliate_id": 1}), 400)
    assert "not active" in error(ef.post(link, {"network_offer_id": 2, "network_affiliate_id": 2}), 400)
    other_domain = {"network_offer_id": 2, "network_affiliate_id": 1, "network_tracking_domain_id": 5}
    assert "network_tracking_domain_id" in error(ef.post(link, other_domain), 400)


# --- reports --------------------------------------------------------------------------------------

def _cents(value: float) -> int:
    return round(value * 100)


def test_the_entity_report_is_deterministic_and_its_days_sum_to_the_totals(ef: Everflow, network: Any) -> None:
    first = report(ef, columns=("date",))
    assert report(ef, columns=("date",)) == first
    assert len(first["performance"]) == len(first["table"]) == 7 and first["incomplete_results"] is False
    for metric in ("total_click", "unique_click", "imp", "cv"):
        assert sum(row["reporting"][metric] for row in first["table"]) == first["summary"][metric]
        assert sum(day["reporting"][metric] for day in first["performance"]) == first["summary"][metric]
    for metric in ("payout", "revenue", "gross_sales"):
        assert sum(_cents(row["reporting"][metric]) for row in first["table"]) == _cents(first["summary"][metric])
    assert first["table"][0]["columns"] == [{"column_type": "date", "id": "1748736000", "label": "2025-06-01"}]
    assert report(ef, columns=("date",), path="/networks/reporting/entity/table") == first


def test_report_numbers_follow_the_offer_payouts_with_sane_ratios(ef: Everflow, network: Any) -> None:
    summary = report(ef, filters=(("offer", 1),))["summary"]  # cpa $5.00, rpa $8.00
    assert summary["cv"] > 0
    assert _cents(summary["payout"]) == 500 * summary["cv"] and _cents(summary["revenue"]) == 800 * summary["cv"]
    assert summary["margin"] == 37.5 and summary["profit"] == round(summary["revenue"] - summary["payout"], 2)
    assert summary["unique_click"] <= summary["total_click"] < summary["imp"]
    assert 0 < summary["cvr"] < 10 and 0 < summary["ctr"] < 100


def test_report_filters_or_within_a_type_and_and_across_types(ef: Everflow, network: Any) -> None:
    table = report(ef, columns=("offer", "affiliate"))
    by_pair = {(int(row["columns"][0]["id"]), int(row["columns"][1]["id"])): row["reporting"] for row in table["table"]}
    assert set(by_pair) == {(1, 1), (1, 2), (2, 1), (2, 2)}
    assert table["table"][0]["columns"][0]["label"] == "Offer 1"
    only_pair = report(ef, filters=(("offer", 2), ("affiliate", 1)))["summary"]
    assert only_pair["total_click"] == by_pair[2, 1]["total_click"]
    by_advertiser = report(ef, filters=(("advertiser", 2),))["summary"]
    assert by_advertiser["cv"] == by_pair[2, 1]["cv"] + by_pair[2, 2]["cv"]
    both_offers = report(ef, filters=(("offer", 1), ("offer", 2)))["summary"]
    assert both_offers == table["summary"]


def test_there_is_no_traffic_after_today(ef: Everflow, network: Any) -> None:
    days = report(ef, columns=("date",), period={"from": "2025-06-14", "to": "2025-06-17"})["performance"]
    assert [day["reporting"]["total_click"] > 0 for day in days] == [True, True, False, False]


@pytest.mark.parametrize(("changes", "message"), [
    ({"columns": ["offer"]}, "columns must be an array of objects"),  # objects, not strings
    ({"columns": [{"column": "date"}, {"column": "week"}]}, "at most one time column is allowed"),
    ({"columns": [{"column": "country"}]}, "column country is not supported by the sandbox"),
    ({"from": "2024-01-01", "to": "2025-06-01"}, "the range from/to must not exceed 367 days"),
    ({"from": "2025-06-07", "to": "2025-06-01"}, "to must not be before from"),
    ({"timezone_id": None}, "timezone_id is required"),
    ({"currency_id": None}, "currency_id is required"),
    ({"query": {"filters": [{"resource_type": "offer", "filter_id_value": "x"}]}},
     "filter_id_value of a offer filter must be an id"),
])
def test_entity_report_requests_are_checked(ef: Everflow, changes: dict[str, Any], message: str) -> None:
    body = {**WEEK, "timezone_id": 67, "currency_id": "USD", "columns": [{"column": "offer"}], **changes}
    assert error(ef.post("/networks/reporting/entity", body), 400) == message


def _conversions(ef: Everflow, **changes: Any) -> Any:
    body = {**WEEK, "timezone_id": 67, "show_conversions": True, "show_events": True,
            "query": {"filters": [{"resource_type": "offer", "filter_id_value": "1"},
                                  {"resource_type": "affiliate", "filter_id_value": "2"}]}, **changes}
    return ef.ok("POST", "/networks/reporting/conversions", body, params={"page_size": 2000})


def test_conversions_agree_with_the_entity_report(ef: Everflow, network: Any) -> None:
    summary = report(ef, filters=(("offer", 1), ("affiliate", 2)))["summary"]
    found = _conversions(ef)
    rows = found["conversions"]
    assert found["paging"]["total_count"] == len(rows) == summary["cv"]
    assert sum(_cents(row["payout"]) for row in rows) == _cents(summary["payout"])
    assert {row["status"] for row in rows} == {"approved"}
    assert [row["conversion_unix_timestamp"] for row in rows] == sorted(
        (row["conversion_unix_timestamp"] for row in rows), reverse=True)
    assert rows[0]["relationship"]["offer"]["network_offer_id"] == 1
    assert re.fullmatch(r"[0-9a-f]{32}", rows[0]["conversion_id"])
    assert _conversions(ef, show_conversions=False)["conversions"] == []
    rejected = {"filters": [{"resource_type": "status", "filter_id_value": "rejected"}]}
    assert _conversions(ef, query=rejected)["paging"]["total_count"] == 0


def test_conversions_page_in_a_stable_order(ef: Everflow, network: Any) -> None:
    body = {**WEEK, "timezone_id": 67, "show_conversions": True, "show_events": False}
    first = ef.ok("POST", "/networks/reporting/conversions", body, params={"page": 1, "page_size": 5})
    second = ef.ok("POST", "/networks/reporting/conversions", {**body, "page": 2, "page_size": 5})
    everything = ef.ok("POST", "/networks/reporting/conversions", {**body, "paging": {"page_size": 10}})
    assert len(first["conversions"]) == 5 and first["paging"]["total_count"] > 10
    assert first["conversions"] + second["conversions"] == everything["conversions"]
    del body["show_events"]
    assert error(ef.post("/networks/reporting/conversions", body), 400) == "show_events is required"


def test_the_click_stream_agrees_with_the_entity_report(ef: Everflow, network: Any) -> None:
    day = report(ef, filters=(("offer", 2), ("affiliate", 1)), period={"from": "2025-06-10", "to": "2025-06-10"})
    stream = {"from": "2025-06-10 00:00:00", "to": "2025-06-10 23:59:59", "timezone_id": 67,
              "query": {"filters": [{"resource_type": "offer", "filter_id_value": "2"},
                                    {"resource_type": "affiliate", "filter_id_value": "1"}]}}
    clicks = ef.ok("POST", "/networks/reporting/clicks/stream", stream)["clicks"]
    assert len(clicks) == day["summary"]["total_click"]
    assert sum(click["is_unique"] for click in clicks) == day["summary"]["unique_click"]
    assert clicks[0]["tracking_url"].startswith("https://trk.sandbox-everflow.test/")
    converted = {row["transaction_id"] for row in _conversions(ef, **{"from": "2025-06-10", "to": "2025-06-10"},
                                                                query=stream["query"])["conversions"]}
    assert converted <= {click["transaction_id"] for click in clicks if click["is_unique"]}


def test_the_click_stream_limits(ef: Everflow, network: Any) -> None:
    path = "/networks/reporting/clicks/stream"
    too_long = {"from": "2025-06-01 00:00:00", "to": "2025-06-15 00:00:01", "timezone_id": 67}
    assert error(ef.post(path, too_long), 400) == "the range from/to must not exceed 14 days"
    dates_only = {"from": "2025-06-01", "to": "2025-06-02", "timezone_id": 67}
    assert error(ef.post(path, dates_only), 400) == "from must be a time as YYYY-MM-DD HH:MM:SS"
    too_old = {"from": "2025-01-01 00:00:00", "to": "2025-01-02 00:00:00", "timezone_id": 67}
    assert ef.ok("POST", path, too_old) == {"clicks": []}  # raw clicks are kept three months


# --- authentication, errors, headers --------------------------------------------------------------

def test_a_missing_or_unknown_key_is_a_401_in_everflows_shape(ef: Everflow) -> None:
    url = ef.sandbox.api_base_url + "/networks/advertisers"
    assert requests.get(url, timeout=5).json() == {"Error": "No Authentication Method Found"}
    assert requests.get(url, headers={"X-Eflow-API-Key": "wrong"}, timeout=5).status_code == 401
    assert requests.get(url, headers={"x-eflow-api-key": ef.sandbox.api_key}, timeout=5).status_code == 200


def test_the_accepted_keys_are_configurable(ef: Everflow) -> None:
    assert ef.admin("POST", "/config", {"api_keys": ["rotated-key"]}).json()["api_keys"] == ["rotated-key"]
    assert ef.get("/networks/advertisers").status_code == 401
    rotated = {"X-Eflow-API-Key": "rotated-key"}
    assert ef.get("/networks/advertisers", headers=rotated).status_code == 200
    assert error(ef.call("DELETE", "/networks/advertisers", headers=rotated), 405) == "Method not allowed"


def test_the_error_key_is_configurable(ef: Everflow) -> None:
    ef.admin("POST", "/config", {"error_key": "error"})
    assert error(ef.get("/networks/offers/1"), 404, key="error") == "Offer not found"
    assert error(ef.admin("POST", "/config", {"error_key": "ERROR"}), 400, key="error").startswith("error_key")


def test_every_answer_carries_the_rate_limit_headers(ef: Everflow) -> None:
    answers = [ef.get("/networks/advertisers"), ef.get("/networks/offers/1"), requests.get(
        ef.sandbox.api_base_url + "/networks/offers", timeout=5)]
    assert [a.headers["X-RateLimit-Limit"] for a in answers] == ["600"] * 3
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["599", "598", "597"]


# --- faults ---------------------------------------------------------------------------------------

def _statuses(ef: Everflow, count: int, path: str = "/networks/advertisers") -> list[int]:
    return [ef.get(path).status_code for _ in range(count)]


def test_429s_begin_after_n_calls_and_stop_after_m(ef: Everflow, sandbox: SandboxServer) -> None:
    sandbox.faults.set(throttle_after=2, throttle_times=3, retry_after_s=2)
    answers = [ef.get("/networks/advertisers") for _ in range(6)]
    assert [a.status_code for a in answers] == [200, 200, 429, 429, 429, 200]
    assert answers[2].headers["Retry-After"] == "2" and answers[2].json() == {"Error": "Rate limit exceeded"}
    assert sandbox.faults.counters()["throttled"] == 3


def test_faults_are_set_and_cleared_over_http(ef: Everflow) -> None:
    assert ef.admin("POST", "/faults", {"error_rate": 0.5}).status_code == 200
    assert _statuses(ef, 4) == [200, 500, 200, 500]
    assert ef.admin("GET", "/faults").json()["counters"]["errors"] == 2
    ef.admin("POST", "/faults", {"error_rate": 1, "error_times": 2, "error_status": 503})
    assert _statuses(ef, 3) == [503, 503, 200]
    ef.admin("POST", "/faults", {"error_rate": 1, "paths": ["/v1/networks/offers"]})
    assert _statuses(ef, 1) + _statuses(ef, 1, "/networks/offers") == [200, 500]
    assert ef.admin("DELETE", "/faults").json()["faults"]["error_rate"] == 0
    assert _statuses(ef, 2, "/networks/offers") == [200, 200]
    assert error(ef.admin("POST", "/faults", {"error_rate": 2}), 400, key="error").startswith("invalid value")
    assert error(ef.admin("POST", "/faults", {"explode": True}), 400, key="error").startswith("unknown")


def test_slow_responses(ef: Everflow, sandbox: SandboxServer) -> None:
    sandbox.faults.set(delay_ms=300)
    started = time.monotonic()
    assert ef.get("/networks/advertisers").status_code == 200
    assert time.monotonic() - started >= 0.3


def _wait_for_status(sandbox: SandboxServer, status: int) -> None:
    deadline = time.monotonic() + 5
    while str(status) not in sandbox.calls()["by_status"]:
        assert time.monotonic() < deadline, sandbox.calls()
        time.sleep(0.01)


def test_a_hang_times_the_client_out_and_never_takes_effect(ef: Everflow, sandbox: SandboxServer) -> None:
    sandbox.faults.set(hang_ms=5_000, hang_times=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        ef.post("/networks/advertisers", payload("advertiser"), timeout=0.3)
    assert ef.post("/networks/advertisers", payload("advertiser")).json()["network_advertiser_id"] == 1
    sandbox.faults.release()
    _wait_for_status(sandbox, 504)
    assert len(sandbox.objects("advertisers")) == 1


def test_a_hang_after_processing_loses_the_answer_but_not_the_object(ef: Everflow, sandbox: SandboxServer) -> None:
    ef.admin("POST", "/faults", {"hang_ms": 5_000, "hang_after_processing": True})
    with pytest.raises(requests.exceptions.ReadTimeout):
        ef.post("/networks/advertisers", payload("advertiser"), timeout=0.3)
    assert [a["name"] for a in ef.admin("GET", "/objects/advertisers").json()["advertisers"]] == ["Acme Outdoor Gear"]
    ef.admin("DELETE", "/faults")


def test_the_rate_limit_window_refuses_calls_over_the_limit_until_it_resets(ef: Everflow, clock: Clock) -> None:
    ef.admin("POST", "/faults", {"rate_limit": 3, "rate_window_s": 1})
    answers = [ef.get("/networks/advertisers") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert answers[3].headers["X-RateLimit-Limit"] == "3" and answers[3].headers["Retry-After"] == "1"
    clock.advance(1)
    assert ef.get("/networks/advertisers").status_code == 200


def test_at_most_n_concurrent_reporting_calls(clock: Clock) -> None:
    with start_sandbox(SandboxConfig(clock=clock, reporting_concurrency=2)) as sandbox:
        ef = Everflow(sandbox)
        sandbox.faults.set(delay_ms=600, paths=("/v1/networks/reporting/",))
        body = {**WEEK, "timezone_id": 67, "currency_id": "USD", "columns": [{"column": "offer"}]}
        with ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(lambda _: ef.post("/networks/reporting/entity", body), range(3)))
        assert sorted(a.status_code for a in answers) == [200, 200, 429]


# --- concurrency, counters, reset -----------------------------------------------------------------

def test_parallel_creates_get_distinct_ids(ef: Everflow, sandbox: SandboxServer) -> None:
    start = threading.Barrier(16)

    def create(index: int) -> int:
        if index < 16:
            start.wait()
        body = payload("advertiser", name=f"Parallel {index}", users=[])
        return int(ef.ok("POST", "/networks/advertisers", body)["network_advertiser_id"])

    with ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(create, range(48)))
    assert sorted(ids) == list(range(1, 49))
    assert len(sandbox.objects("advertisers")) == 48


def test_calls_are_counted_per_endpoint_and_objects_listed(ef: Everflow, sandbox: SandboxServer) -> None:
    ef.ok("POST", "/networks/advertisers", payload("advertiser", users=[]))
    ef.ok("PUT", "/networks/advertisers/1", payload("advertiser", users=[]))
    ef.get("/networks/advertisers/7")
    calls = ef.admin("GET", "/calls").json()
    assert calls["by_endpoint"] == {"POST /v1/networks/advertisers": 1, "PUT /v1/networks/advertisers/{id}": 1,
                                    "GET /v1/networks/advertisers/{id}": 1}
    assert calls["by_status"] == {"200": 2, "404": 1} and calls["total"] == 3
    objects = ef.admin("GET", "/objects").json()
    assert [len(objects[kind]) for kind in ("advertisers", "affiliates", "offers")] == [1, 0, 0]


def test_a_reset_forgets_objects_counters_and_faults(ef: Everflow, sandbox: SandboxServer) -> None:
    ef.ok("POST", "/networks/advertisers", payload("advertiser", users=[]))
    sandbox.faults.set(error_rate=1, paths=("/v1/networks/offers",))
    assert ef.admin("POST", "/reset").json() == {"reset": True}
    assert sandbox.calls()["total"] == 0 and sandbox.objects("advertisers") == []
    assert ef.get("/networks/offers").status_code == 200
    assert ef.ok("POST", "/networks/advertisers", payload("advertiser"))["network_advertiser_id"] == 1


# --- persistence for make run ---------------------------------------------------------------------

def test_a_saved_sandbox_continues_with_its_objects_and_ids(ef: Everflow, network: dict[str, Any],
                                                            tmp_path: Path, clock: Clock) -> None:
    ef.sandbox.save(tmp_path / "sandbox.json")
    with start_sandbox(SandboxConfig(clock=clock)) as later:
        later.load(tmp_path / "sandbox.json")
        client = Everflow(later)
        assert client.ok("GET", "/networks/offers/2")["name"] == "Offer 2"
        created = client.ok("POST", "/networks/advertisers", payload("advertiser", name="Cedar", users=[]))
        assert created["network_advertiser_id"] == 3
        assert report(client, filters=(("offer", 1),)) == report(ef, filters=(("offer", 1),))
