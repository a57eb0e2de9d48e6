"""Our entities as Everflow bodies, and Everflow's answers as what we keep: pure functions, no I/O.

The builders live in `mapping_partners` (advertisers, affiliates) and `mapping_offers` (campaigns);
this module is the one to import. Updates are read-modify-write: pass Everflow's current object
(GET, asking for `relationships_for_update(kind)`) as `existing` and only our fields change.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from shared.adapters.everflow.errors import EverflowError
from shared.adapters.everflow.mapping_defaults import EverflowDefaults, Json, defaults_from_settings
from shared.adapters.everflow.mapping_merge import spec, unwrapped, writable
from shared.adapters.everflow.mapping_offers import OFFER_FIELDS, OFFER_STATUSES, offer_payload
from shared.adapters.everflow.mapping_partners import (
    ADVERTISER_FIELDS,
    ADVERTISER_STATUSES,
    AFFILIATE_FIELDS,
    AFFILIATE_STATUSES,
    advertiser_payload,
    affiliate_payload,
)
from shared.domain.provider_mappings import EntityKind

__all__ = [
    "ADVERTISER_STATUSES", "AFFILIATE_STATUSES", "MANAGED_FIELDS", "OFFER_STATUSES", "Discrepancy",
    "EverflowDefaults", "Severity", "advertiser_payload", "affiliate_payload", "compare",
    "defaults_from_settings", "mapping_data", "offer_payload", "provider_id", "relationships_for_update",
]

# Every field our payloads write; anything else in an Everflow object belongs to network staff.
MANAGED_FIELDS: dict[EntityKind, frozenset[str]] = {
    EntityKind.ADVERTISER: ADVERTISER_FIELDS,
    EntityKind.AFFILIATE: AFFILIATE_FIELDS,
    EntityKind.CAMPAIGN: OFFER_FIELDS,
}
# What provider_data keeps of an answer (relationship values included, e.g. labels and encoded_value).
STORED_FIELDS: dict[EntityKind, tuple[str, ...]] = {
    EntityKind.ADVERTISER: (
        "network_advertiser_id", "network_id", "network_employee_id", "account_status", "reporting_timezone_id",
        "sales_manager_id", "address_id", "is_contact_address_enabled", "verification_token", "labels",
        "time_saved"),
    EntityKind.AFFILIATE: (
        "network_affiliate_id", "network_id", "network_employee_id", "account_status", "encoded_value",
        "network_affiliate_tier_id", "network_traffic_source_id", "account_executive_id", "referrer_id",
        "enable_media_cost_tracking_links", "is_contact_address_enabled", "labels", "time_saved"),
    EntityKind.CAMPAIGN: (
        "network_offer_id", "network_id", "network_advertiser_id", "network_tracking_domain_id", "offer_status",
        "encoded_value", "labels", "time_saved"),
}
# Set from configured defaults on create, then the network's to change: a different value is no drift.
NOT_COMPARED = frozenset({"network_employee_id", "network_tracking_domain_id"})


class Severity(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


SEVERITIES = {"account_status": Severity.HIGH, "offer_status": Severity.HIGH, "name": Severity.MEDIUM}
RANK = {Severity.HIGH: 0, Severity.MEDIUM: 1, Severity.LOW: 2}


@dataclass(frozen=True)
class Discrepancy:
    """One managed field whose value in Everflow differs from ours."""

    field: str
    local_value: Any
    provider_value: Any
    severity: Severity


def relationships_for_update(kind: EntityKind) -> tuple[str, ...]:
    """The `relationship` values to GET before an update, so that the PUT keeps them (billing is write-only)."""
    return spec(kind).update_relationships


def provider_id(kind: EntityKind, response: Json) -> str:
    """Everflow's id of the object (`network_advertiser_id`, ...) as the text our mapping stores."""
    name = spec(kind).id_field
    value = response.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise EverflowError(f"Everflow's answer has no usable {name}: {value!r}")
    return str(value)


def mapping_data(kind: EntityKind, response: Json) -> Json:
    """The ids and settings of Everflow's answer that a provider mapping keeps in `provider_data`."""
    relationship = response.get("relationship") or {}
    flat = {name: unwrapped(value) for name, value in relationship.items()}
    flat |= {name: value for name, value in response.items() if name != "relationship"}
    return {name: flat[name] for name in STORED_FIELDS[kind] if flat.get(name) is not None}


def compare(kind: EntityKind, local_payload: Json, remote: Json) -> list[Discrepancy]:
    """Managed fields that differ between our payload and Everflow's object, most severe first.

    Fields Everflow does not return (billing without `relationship=billing`, contact_address) cannot
    be compared and are skipped, as are fields we do not manage.
    """
    provider = writable(kind, remote)
    fields = (MANAGED_FIELDS[kind] - NOT_COMPARED) & local_payload.keys() & provider.keys()
    found = [Discrepancy(name, local_payload[name], provider[name], SEVERITIES.get(name, Severity.LOW))
             for name in fields if not same(local_payload[name], provider[name])]
    return sorted(found, key=lambda d: (RANK[d.severity], d.field))


def same(local: Any, remote: Any) -> bool:
    """Equal as Everflow means it: objects compared on our keys, labels in any order, None as ""."""
    if isinstance(local, dict) and isinstance(remote, dict):
        return all(same(value, remote.get(key)) for key, value in local.items())
    if isinstance(local, list) and isinstance(remote, list):
        return _same_lists(local, remote)
    if local in (None, "") and remote in (None, ""):
        return True
    return bool(local == remote)


def _same_lists(local: list[Any], remote: list[Any]) -> bool:
    if len(local) != len(remote):
        return False
    if all(isinstance(item, str) for item in local + remote):
        return sorted(local) == sorted(remote)
    return all(same(mine, theirs) for mine, theirs in zip(local, remote, strict=True))
