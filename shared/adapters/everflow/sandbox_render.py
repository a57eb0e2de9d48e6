"""Stored sandbox objects rendered as Everflow answers them, with the relationships asked for.

Labels always come back under `relationship.labels`, an offer's payouts under
`relationship.payout_revenue` (top-level `payout_revenue` is echoed on POST/PUT answers only),
an affiliate's address id as `adress_id` (sic) and its code as `relationship.encoded_value`.
Billing, users, settings, reporting and the offer's advertiser come only when asked for.
"""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.datastructures import MultiDict

from shared.adapters.everflow.sandbox_fields import Json
from shared.adapters.everflow.sandbox_state import Kind, SandboxState
from shared.adapters.everflow.sandbox_tracking import encoded_value

Reporting = Callable[[Kind, int], Json]
HIDDEN = frozenset({"labels", "users", "billing", "settings", "contact_address", "payout_revenue",
                    "network_affiliate_tier_id"})


def wanted(args: MultiDict[str, str]) -> frozenset[str]:
    """The `relationship` query params, repeated or comma-joined (both styles are seen)."""
    return frozenset(name.strip() for value in args.getlist("relationship") for name in value.split(",") if name)


def render(kind: Kind, record: Json, *, asked: frozenset[str], written: bool, state: SandboxState,
           reporting: Reporting) -> Json:
    """The object as Everflow returns it from GET (or from POST/PUT when `written`)."""
    body = {key: value for key, value in record.items() if key not in HIDDEN}
    relationship: Json = {"labels": _entries(record.get("labels", []))}
    if kind is Kind.OFFERS:
        _offer(body, relationship, record, asked=asked, written=written, state=state)
    else:
        _partner(kind, relationship, record, asked=asked, written=written)
    if "reporting" in asked:
        relationship["reporting"] = reporting(kind, record[kind.id_field])
    return {**body, "relationship": relationship}


def _partner(kind: Kind, relationship: Json, record: Json, *, asked: frozenset[str], written: bool) -> None:
    if record["network_employee_id"]:
        relationship["account_manager"] = _employee(record["network_employee_id"])
    for name in ("billing", "settings"):
        if name in asked and name in record:
            relationship[name] = record[name]
    if kind is Kind.AFFILIATES:
        relationship["encoded_value"] = encoded_value(kind, record[kind.id_field])
        relationship["network_affiliate_tier_id"] = record["network_affiliate_tier_id"]
        if written or "users" in asked:
            relationship["users"] = _entries(record["users"])


def _offer(body: Json, relationship: Json, record: Json, *, asked: frozenset[str], written: bool,
           state: SandboxState) -> None:
    body["encoded_value"] = encoded_value(Kind.OFFERS, record["network_offer_id"])
    relationship["payout_revenue"] = _entries(record["payout_revenue"])
    if written:
        body["payout_revenue"] = record["payout_revenue"]
    if "advertiser" in asked:
        advertiser = state.find(Kind.ADVERTISERS, record["network_advertiser_id"]) or {}
        relationship["advertiser"] = {name: advertiser.get(name) for name in
                                      ("network_advertiser_id", "name", "account_status")}


def _entries(items: list[object]) -> Json:
    return {"total": len(items), "entries": items}


def _employee(employee_id: int) -> Json:
    """The account manager as Everflow shows one; the sandbox has no employees, so the fields are synthetic."""
    return {"first_name": "Employee", "last_name": str(employee_id),
            "email": f"employee{employee_id}@sandbox-everflow.test", "work_phone": "", "cell_phone": "",
            "instant_messaging_id": 0, "instant_messaging_identifier": ""}


def summary(kind: Kind, record: Json) -> Json:
    """A short reference to an object, as reports embed it under `relationship`."""
    fields = {Kind.OFFERS: ("name", "offer_status", "network_tracking_domain_id", "network_advertiser_id"),
              Kind.AFFILIATES: ("name", "account_status"),
              Kind.ADVERTISERS: ("name", "account_status")}[kind]
    return {kind.id_field: record.get(kind.id_field), "network_id": record.get("network_id"),
            **{name: record.get(name) for name in fields}}
