"""Request and response models of the activities API."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BeforeValidator, Field

from shared.domain.activities import (
    DESCRIPTION_MAX,
    METADATA_MAX_BYTES,
    Activity,
    ActivityFilter,
    ActivitySource,
    ActivityType,
)
from shared.schemas.common import Name, QueryModel, ReadModel, StrictModel


def _csv(value: Any) -> Any:
    """`type=click,payment` as a list; anything else is left to the type check."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _bounded(metadata: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(metadata, separators=(",", ":"), ensure_ascii=False).encode()) > METADATA_MAX_BYTES:
        raise ValueError(f"must be at most {METADATA_MAX_BYTES} bytes as JSON")
    return metadata


Metadata = Annotated[dict[str, Any], AfterValidator(_bounded)]


class ActivityListQuery(QueryModel):
    type: Annotated[list[ActivityType], BeforeValidator(_csv), Field(max_length=len(ActivityType))] | None = None

    def to_filter(self) -> ActivityFilter:
        return ActivityFilter(tuple(dict.fromkeys(self.type or ())))


class ActivityTrack(StrictModel):
    """A custom activity: a type of the list, a title, and optional words and metadata."""

    type: ActivityType
    title: Name
    description: Annotated[str, Field(max_length=DESCRIPTION_MAX)] | None = None
    metadata: Metadata = Field(default_factory=dict)


class ActivityRead(ReadModel):
    activity_id: int
    organization_id: int
    type: str
    title: str
    description: str | None
    metadata: dict[str, Any]
    actor_user_id: UUID | None
    source: ActivitySource
    event_id: str | None
    aggregate_type: str | None
    aggregate_id: str | None
    occurred_at: datetime
    created_at: datetime


def activity_read(activity: Activity) -> ActivityRead:
    return ActivityRead(
        activity_id=activity.activity_id, organization_id=activity.organization_id, type=activity.activity_type,
        title=activity.title, description=activity.description, metadata=activity.metadata,
        actor_user_id=activity.actor_user_id, source=activity.source, event_id=activity.event_id,
        aggregate_type=activity.aggregate_type, aggregate_id=activity.aggregate_id,
        occurred_at=activity.occurred_at, created_at=activity.created_at,
    )
