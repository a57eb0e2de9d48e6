"""Everflow's values back into ours, for `sync-from-everflow`: the inverse of the payload builders. Pure.

Pulled are the fields network staff may legitimately edit in Everflow and that we can represent
without loss. Not pulled: labels (they carry our identity labels), billing and contact addresses
(write-only or partial in Everflow; ours hold payment details Everflow lacks), payouts (money is
edited here), and the ids of the network. A status is pulled only when ours does not already mean the
same (Everflow has fewer statuses), and an offer's `deleted` never archives a campaign: archiving is
final, so it is done here, deliberately.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.adapters.everflow.mapping import Discrepancy
from shared.adapters.everflow.mapping_offers import CAP_FIELDS
from shared.domain.provider_mappings import EntityKind

KEEP = object()  # a converter's answer when Everflow's value means what ours already says


class NotPullable(Exception):
    """Everflow's value has no counterpart here; the reason is shown to the caller."""


Converter = Callable[[Any, Any], Any]  # (Everflow's value, our entity) -> our value, KEEP, or NotPullable


@dataclass(frozen=True)
class Skipped:
    """A field that differs but is not pulled, and why."""

    field: str
    provider_value: Any
    reason: str


@dataclass(frozen=True)
class Pull:
    changes: dict[str, Any]  # our field -> its new value, as JSON (what an update body would say)
    skipped: list[Skipped]  # named by Everflow's fields
    sources: dict[str, str]  # our field -> the Everflow field it came from


def _same(value: Any, entity: Any) -> Any:
    return value


def _blank_is_none(value: Any, entity: Any) -> Any:
    return value if value not in ("", None) else None


def _zero_is_none(value: Any, entity: Any) -> Any:
    return value or None  # a cap of 0 is how we send "no cap"


def _status(agrees: dict[str, frozenset[str]], ours: dict[str, str]) -> Converter:
    """Keep our status when it already means Everflow's; else take the nearest of ours, if any."""
    def convert(value: Any, entity: Any) -> Any:
        if str(entity.status) in agrees.get(value, frozenset()):
            return KEEP
        if value not in ours:
            raise NotPullable(f"Everflow's status {value!r} is not taken over; change the status here")
        return ours[value]
    return convert


NOT_LIVE = frozenset({"pending", "inactive", "rejected", "archived"})
PARTNER_STATUS = _status(
    {"active": frozenset({"active"}), "inactive": NOT_LIVE, "suspended": NOT_LIVE,
     "pending": frozenset({"pending"})},
    {"active": "active", "inactive": "inactive", "suspended": "inactive", "pending": "pending"})
OFFER_STATUS = _status(
    {"active": frozenset({"active"}), "paused": frozenset({"paused", "draft"}),
     "pending": frozenset({"paused", "draft"}), "deleted": frozenset({"archived"})},
    {"active": "active", "paused": "paused", "pending": "paused"})

PULLED: dict[EntityKind, dict[str, tuple[str, Converter]]] = {
    EntityKind.ADVERTISER: {
        "name": ("name", _same), "account_status": ("status", PARTNER_STATUS),
        "default_currency_id": ("default_currency_id", _same),
        "reporting_timezone_id": ("reporting_timezone_id", _same),
        **{name: (name, _same) for name in ("attribution_method", "email_attribution_method",
                                            "attribution_priority")},
        **{name: (name, _blank_is_none) for name in ("internal_notes", "platform_name", "platform_url",
                                                     "platform_username", "accounting_contact_email",
                                                     "offer_id_macro", "affiliate_id_macro")},
    },
    EntityKind.AFFILIATE: {
        "name": ("name", _same), "account_status": ("status", PARTNER_STATUS),
        "default_currency_id": ("default_currency_id", _same), "internal_notes": ("internal_notes", _blank_is_none),
    },
    EntityKind.CAMPAIGN: {
        "name": ("name", _same), "offer_status": ("status", OFFER_STATUS),
        "html_description": ("description", _blank_is_none), "date_live_until": ("end_date", _blank_is_none),
        **{name: (name, _same) for name in ("destination_url", "visibility", "conversion_method",
                                            "session_definition", "session_duration", "currency_id",
                                            "is_caps_enabled")},
        **{name: (name, _blank_is_none) for name in ("internal_notes", "preview_url", "thumbnail_url",
                                                     "terms_and_conditions")},
        **{name: (name, _zero_is_none) for name in CAP_FIELDS},
    },
}
KEPT_HERE = {
    "labels": "labels carry the platform's identity labels; edit them here",
    "billing": "billing is write-only in Everflow and ours holds more; edit it here",
    "contact_address": "addresses are edited here",
    "is_contact_address_enabled": "follows the address kept here",
    "payout_revenue": "payouts and revenue are money: edited here only",
    "network_advertiser_id": "an offer's advertiser follows the campaign's advertiser",
    "is_using_explicit_terms_and_conditions": "follows terms_and_conditions",
}


def pulled_changes(kind: EntityKind, entity: Any, discrepancies: list[Discrepancy]) -> Pull:
    """Our new values for the differing fields Everflow may change, and the differing fields it may not."""
    pull = Pull({}, [], {})
    for found in discrepancies:
        try:
            ours = _converted(kind, entity, found)
        except NotPullable as exc:
            pull.skipped.append(Skipped(found.field, found.provider_value, str(exc)))
            continue
        if ours is not KEEP and ours[1] != _current(entity, ours[0]):
            pull.changes[ours[0]] = ours[1]
            pull.sources[ours[0]] = found.field
    return pull


def _converted(kind: EntityKind, entity: Any, found: Discrepancy) -> Any:
    rule = PULLED[kind].get(found.field)
    if rule is None:
        raise NotPullable(KEPT_HERE.get(found.field, "not a field Everflow may change"))
    field, convert = rule
    value = convert(found.provider_value, entity)
    return KEEP if value is KEEP else (field, value)


def _current(entity: Any, field: str) -> Any:
    """Our value as JSON would say it (enums by value, dates as ISO text)."""
    value = getattr(entity, field)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value.value if hasattr(value, "value") else value
