"""Domain events: what changed, recorded in the outbox in the transaction of the change."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# One topic carries every catalogue change; its subscribers (Everflow sync, activities) filter by type.
CATALOGUE_TOPIC = "catalogue-events"


@dataclass(frozen=True)
class DomainEvent:
    event_type: str  # "<aggregate>.<verb>", e.g. "advertiser.created", "campaign.status_changed"
    aggregate_type: str
    aggregate_id: str
    organization_id: int | None
    version: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    topic: str = CATALOGUE_TOPIC
