"""Read-modify-write: Everflow's PUT replaces the whole object, so an update starts from what Everflow holds.

GET answers carry fields a write refuses or ignores (ids of the object itself, timestamps) and put
some writable values under `relationship` (`labels.entries`, `payout_revenue.entries`, `billing`,
...). `writable` turns such an answer back into a write body; `compose` lays our fields over it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from shared.adapters.everflow.mapping_defaults import Json
from shared.domain.provider_mappings import EntityKind

RESPONSE_ONLY = frozenset({"network_id", "time_created", "time_saved", "relationship", "encoded_value"})


@dataclass(frozen=True)
class KindSpec:
    """How Everflow names and returns one kind of object."""

    id_field: str
    read_only: frozenset[str]
    from_relationship: tuple[str, ...]  # writable values a GET returns under `relationship`
    update_relationships: tuple[str, ...]  # what to ask a GET for, so an update keeps them


SPECS: dict[EntityKind, KindSpec] = {
    EntityKind.ADVERTISER: KindSpec(
        "network_advertiser_id", RESPONSE_ONLY | {"network_advertiser_id"},
        ("labels", "billing", "settings"), ("billing", "settings")),
    EntityKind.AFFILIATE: KindSpec(
        "network_affiliate_id", RESPONSE_ONLY | {"network_affiliate_id", "has_notifications"},
        ("labels", "billing", "network_affiliate_tier_id"), ("billing",)),
    EntityKind.CAMPAIGN: KindSpec(
        "network_offer_id", RESPONSE_ONLY | {"network_offer_id"},
        ("labels", "payout_revenue"), ("payout_revenue",)),
}


def spec(kind: EntityKind) -> KindSpec:
    try:
        return SPECS[kind]
    except KeyError:
        raise ValueError(f"Everflow keeps no {kind.value} objects (only advertisers, affiliates and offers)") from None


def writable(kind: EntityKind, response: Json) -> Json:
    """An Everflow answer as a write body: response-only fields dropped, relationship values moved up."""
    kind_spec = spec(kind)
    body = {key: copy.deepcopy(value) for key, value in response.items() if key not in kind_spec.read_only}
    relationship = response.get("relationship") or {}
    for name in kind_spec.from_relationship:
        if name in relationship and name not in body:
            body[name] = copy.deepcopy(unwrapped(relationship[name]))
    return body


def compose(kind: EntityKind, managed: Json, defaulted: Json, existing: Json | None) -> Json:
    """The body to send: Everflow's current object, configured defaults where it has no value, then ours.

    `managed` fields always overwrite; `defaulted` ones (account manager, tracking domain, ...) fill
    only blanks, so choices network staff make in Everflow survive our updates.
    """
    body = writable(kind, existing) if existing is not None else {}
    for key, value in defaulted.items():
        if _blank(body.get(key)):
            body[key] = value
    return body | managed


def unwrapped(value: Any) -> Any:
    """`{"total": n, "entries": [...]}` lists become their entries; other values stay as they are."""
    if isinstance(value, dict) and "entries" in value:
        return value["entries"]
    return value


def _blank(value: Any) -> bool:
    return not isinstance(value, bool) and not value
