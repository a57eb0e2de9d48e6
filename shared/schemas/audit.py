"""Models of the audit-log route."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field

from shared.schemas.common import PositiveId, QueryModel, ReadModel


class AuditQuery(QueryModel):
    organization_id: PositiveId | None = None  # past bigint, PostgreSQL would refuse the comparison (a 500)
    actor_id: UUID | None = None
    action: str | None = Field(default=None, max_length=100)
    entity_type: str | None = Field(default=None, max_length=50)
    entity_id: str | None = Field(default=None, max_length=100)
    since: datetime | None = None
    until: datetime | None = None


class AuditRead(ReadModel):
    audit_id: int
    occurred_at: datetime
    actor_id: UUID | None
    actor_role_id: int | None
    organization_id: int | None
    on_behalf_of_organization_id: int | None = Field(
        description="Set when an agency acted under a delegation: the advertiser organization it acted for.")
    acting_organization_id: int | None = Field(description="The agency organization whose user acted, if any.")
    delegation_id: int | None = Field(description="The agency delegation the change was made under, if any.")
    action: str
    entity_type: str
    entity_id: str
    changes: dict[str, Any]
    request_id: str | None
    client_ip: str | None
