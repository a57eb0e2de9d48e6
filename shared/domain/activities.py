"""Activities: an organization's feed of what happened, in words, from domain events or tracked by hand."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.domain.organizations import OrganizationType

TITLE_MAX = 255
DESCRIPTION_MAX = 2_000
METADATA_MAX_BYTES = 8_192  # of a tracked activity's metadata, as compact JSON


class ActivityType(enum.StrEnum):
    # The original's list.
    CAMPAIGN_CREATED = "campaign_created"
    CAMPAIGN_UPDATED = "campaign_updated"
    CONVERSION = "conversion"
    CLICK = "click"
    CLIENT_ADDED = "client_added"
    CAMPAIGN_LAUNCHED = "campaign_launched"
    PAYMENT = "payment"
    USER_REGISTERED = "user_registered"
    SYSTEM_ALERT = "system_alert"
    REVENUE_MILESTONE = "revenue_milestone"
    ERROR = "error"
    # What our domain events stand for, and hand-tracked notes.
    LINK_GENERATED = "link_generated"
    ADVERTISER_CREATED = "advertiser_created"
    AFFILIATE_CREATED = "affiliate_created"
    PARTNERSHIP_INVITED = "partnership_invited"
    PARTNERSHIP_REQUESTED = "partnership_requested"
    PARTNERSHIP_APPROVED = "partnership_approved"
    PARTNERSHIP_REJECTED = "partnership_rejected"
    PARTNERSHIP_SUSPENDED = "partnership_suspended"
    PARTNERSHIP_REACTIVATED = "partnership_reactivated"
    PARTNERSHIP_UPDATED = "partnership_updated"
    INVITATION_CREATED = "invitation_created"
    INVITATION_UPDATED = "invitation_updated"
    INVITATION_DISABLED = "invitation_disabled"
    INVITATION_USED = "invitation_used"
    SYNC_FAILED = "sync_failed"
    CUSTOM = "custom"


class ActivitySource(enum.StrEnum):
    EVENT = "event"
    USER = "user"


class DashboardType(enum.StrEnum):
    """The `{orgType}` of dashboard paths: an organization type, the platform owner's called `platform`."""

    ADVERTISER = "advertiser"
    AFFILIATE = "affiliate"
    AGENCY = "agency"
    PLATFORM = "platform"

    @property
    def organization_type(self) -> OrganizationType:
        if self is DashboardType.PLATFORM:
            return OrganizationType.PLATFORM_OWNER
        return OrganizationType(self.value)


@dataclass(frozen=True)
class FeedOwner:
    """The organization a feed route names; `dashboard_type` must be its type (404 otherwise)."""

    organization_id: int
    dashboard_type: DashboardType


@dataclass(frozen=True)
class NewActivity:
    organization_id: int
    activity_type: ActivityType
    title: str
    source: ActivitySource
    description: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    actor_user_id: UUID | None = None
    event_id: str | None = None
    aggregate_type: str | None = None
    aggregate_id: str | None = None
    occurred_at: datetime | None = None  # None: when it is stored


@dataclass(frozen=True)
class Activity:
    activity_id: int
    organization_id: int
    activity_type: str  # a type retired from ActivityType still reads back
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


@dataclass(frozen=True)
class ActivityFilter:
    types: tuple[ActivityType, ...] = ()


@dataclass(frozen=True)
class EventRecord:
    """A domain event as the recorder receives it (the outbox envelope's body)."""

    event_id: str
    event_type: str
    aggregate_type: str
    aggregate_id: str
    organization_id: int | None
    payload: Mapping[str, Any]
    occurred_at: datetime | None

    @classmethod
    def from_body(cls, body: Mapping[str, Any], message_id: str) -> EventRecord:
        """The envelope's event id identifies the event across re-publishes; the message id is the fallback."""
        created = body.get("created_at")
        org = body.get("organization_id")
        payload = body.get("payload")
        return cls(
            event_id=str(body.get("event_id") or message_id), event_type=str(body.get("event_type") or ""),
            aggregate_type=str(body.get("aggregate_type") or ""), aggregate_id=str(body.get("aggregate_id") or ""),
            organization_id=int(org) if isinstance(org, int | str) and str(org).isdigit() else None,
            payload=payload if isinstance(payload, Mapping) else {},
            occurred_at=_timestamp(created),
        )


def _timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
