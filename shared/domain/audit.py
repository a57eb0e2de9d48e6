"""Audit entries: who changed what, in which organization, from which request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class AuditEntry:
    action: str
    entity_type: str
    entity_id: str
    organization_id: int | None
    changes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AuditRecord:
    audit_id: int
    occurred_at: datetime
    actor_id: UUID | None
    actor_role_id: int | None
    organization_id: int | None
    on_behalf_of_organization_id: int | None
    acting_organization_id: int | None
    delegation_id: int | None
    action: str
    entity_type: str
    entity_id: str
    changes: dict[str, Any]
    request_id: str | None
    client_ip: str | None


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields whose value changed, as {field: {"before": old, "after": new}}."""
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }
