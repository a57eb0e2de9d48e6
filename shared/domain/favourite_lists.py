"""Favourite publisher lists: an organization's shortlists of publisher domains and how far each contact got."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.domain.errors import Conflict

# A host name in ASCII (internationalized names in punycode), as the intelligence data keeps them.
DOMAIN = re.compile(r"^(?=.{1,255}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")


class ItemStatus(enum.StrEnum):
    ADDED = "added"
    CONTACTED = "contacted"
    ACCEPTED = "accepted"


# The original's rule: forward one step, or back one step from contacted/accepted; staying is allowed.
TRANSITIONS: dict[ItemStatus, frozenset[ItemStatus]] = {
    ItemStatus.ADDED: frozenset({ItemStatus.ADDED, ItemStatus.CONTACTED}),
    ItemStatus.CONTACTED: frozenset({ItemStatus.CONTACTED, ItemStatus.ACCEPTED, ItemStatus.ADDED}),
    ItemStatus.ACCEPTED: frozenset({ItemStatus.ACCEPTED, ItemStatus.CONTACTED}),
}


class InvalidTransition(Conflict):
    code = "invalid_status_transition"


@dataclass(frozen=True)
class FavouriteList:
    list_id: int
    organization_id: int
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime
    publisher_count: int = 0


@dataclass(frozen=True)
class ListItem:
    item_id: int
    list_id: int
    organization_id: int
    publisher_domain: str
    notes: str | None
    status: ItemStatus
    added_at: datetime
    updated_at: datetime


def normalize_domain(value: str) -> str:
    """The stored form of a publisher domain: trimmed, lower-case, without a trailing dot."""
    return value.strip().lower().removesuffix(".")


def is_domain(value: str) -> bool:
    return bool(DOMAIN.match(value))


def check_transition(current: ItemStatus, target: ItemStatus) -> None:
    """409 unless the item may move from `current` to `target`."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current] if s is not current))
        raise InvalidTransition(f"A publisher cannot go from '{current.value}' to '{target.value}';"
                                f" from '{current.value}' it can go to: {allowed}.",
                                details={"current_status": current.value, "requested_status": target.value})


def list_fields(favourite: FavouriteList) -> dict[str, Any]:
    """The before/after of audit entries."""
    return {"name": favourite.name, "description": favourite.description}


def item_fields(item: ListItem) -> dict[str, Any]:
    return {"publisher_domain": item.publisher_domain, "notes": item.notes, "status": item.status.value}

