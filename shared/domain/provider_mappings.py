"""Provider mappings: which record in a provider (Everflow) stands for one of our entities, and its sync state."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.domain.errors import ValidationFailed

REDACTED = "<redacted>"
MAX_SYNC_ERROR = 2_000


class ProviderType(enum.StrEnum):
    EVERFLOW = "everflow"


class SyncStatus(enum.StrEnum):
    PENDING = "pending"
    SYNCED = "synced"
    FAILED = "failed"
    OUT_OF_SYNC = "out_of_sync"


class EntityKind(enum.StrEnum):
    """The entity a mapping belongs to; each kind has a table of its own."""

    ADVERTISER = "advertiser"
    AFFILIATE = "affiliate"
    CAMPAIGN = "campaign"
    TRACKING_LINK = "tracking_link"

    @property
    def mapping_type(self) -> str:
        """The audit entity type and event aggregate type, e.g. `advertiser_provider_mapping`."""
        return f"{self.value}_provider_mapping"

    @property
    def entity_field(self) -> str:
        """The JSON field (and column) naming the entity, e.g. `advertiser_id`."""
        return f"{self.value}_id"

    @property
    def provider_id_field(self) -> str:
        """The JSON field (and column) of the provider's id: Everflow calls a campaign an offer."""
        return "provider_offer_id" if self is EntityKind.CAMPAIGN else f"provider_{self.value}_id"


@dataclass(frozen=True)
class ProviderMapping:
    """One entity's record at one provider; the credentials themselves never leave the repository."""

    mapping_id: int
    kind: EntityKind
    entity_id: int
    organization_id: int
    provider_type: ProviderType
    provider_entity_id: str | None
    provider_config: dict[str, Any]
    provider_data: dict[str, Any]
    has_api_credentials: bool
    sync_status: SyncStatus
    synced_version: int | None
    last_sync_at: datetime | None
    sync_error: str | None
    created_at: datetime
    updated_at: datetime
    credentials_key_id: str | None = None
    is_active_on_provider: bool | None = None  # campaigns only


@dataclass(frozen=True)
class SyncResult:
    """What a sync run learned about one entity at the provider, for the version of the entity it sent."""

    provider_entity_id: str | None
    provider_data: dict[str, Any]
    provider_config: dict[str, Any]
    sync_status: SyncStatus
    synced_version: int
    sync_error: str | None = None
    is_active_on_provider: bool | None = None


def parse_provider_type(value: str, *, location: str = "path") -> ProviderType:
    """The provider named in a request; only Everflow is integrated."""
    try:
        return ProviderType(value)
    except ValueError:
        raise ValidationFailed(
            f"Unknown provider type {value[:50]!r}; supported: {', '.join(ProviderType)}.",
            details=[{"field": "provider_type", "location": location,
                      "message": f"must be one of: {', '.join(ProviderType)}", "type": "enum"}],
        ) from None


def sync_error_text(error: str) -> str:
    """Errors are stored bounded; provider responses can be long."""
    return error if len(error) <= MAX_SYNC_ERROR else error[: MAX_SYNC_ERROR - 1] + "…"


def audit_fields(mapping: ProviderMapping) -> dict[str, Any]:
    """What the audit log and events may show of a mapping: credentials only as a redacted marker."""
    return {
        mapping.kind.entity_field: mapping.entity_id,
        "organization_id": mapping.organization_id,
        "provider_type": mapping.provider_type.value,
        mapping.kind.provider_id_field: mapping.provider_entity_id,
        "provider_config": mapping.provider_config,
        "provider_data": mapping.provider_data,
        "sync_status": mapping.sync_status.value,
        "api_credentials": REDACTED if mapping.has_api_credentials else None,
    }


@dataclass(frozen=True)
class NewMapping:
    """A mapping to create; its organization is the entity's (rows are isolated by it)."""

    kind: EntityKind
    entity_id: int
    organization_id: int
    provider_type: ProviderType
    provider_entity_id: str | None = None
    provider_config: dict[str, Any] | None = None
    provider_data: dict[str, Any] | None = None
    sync_status: SyncStatus = SyncStatus.PENDING
