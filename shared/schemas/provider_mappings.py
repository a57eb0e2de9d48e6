"""Request and response models of the provider-mapping routes (the original's JSON field names).

Bodies are `{"provider_mapping": {...}}` as in the original; the bare object is accepted too (the
original's affiliate routes took it). `provider_config` / `provider_data` are JSON objects; the original
sent them as JSON-encoded strings, which are still accepted when they decode to an object.
`api_credentials` is write-only: responses say `has_api_credentials` and nothing more.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, model_validator

from shared.domain.provider_mappings import EntityKind, ProviderMapping, ProviderType, SyncStatus
from shared.schemas.common import PositiveId, ReadModel, StrictModel, plain_text

ENVELOPE = "provider_mapping"


def _json_object(value: Any) -> Any:
    """An object as such, or the original API's JSON text of one; anything else is refused."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ValueError("must be a JSON object (or a string holding one)") from None
    if not isinstance(value, dict):
        raise ValueError("must be a JSON object (or a string holding one)")
    return value


JsonObject = Annotated[dict[str, Any], BeforeValidator(_json_object)]
ProviderEntityId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), AfterValidator(plain_text)
]
Credentials = Annotated[dict[str, Any], Field(min_length=1, max_length=50)]


class _MappingWrite(StrictModel):
    provider_config: JsonObject | None = None
    provider_data: JsonObject | None = None
    api_credentials: Credentials | None = Field(default=None, description="Write-only; encrypted at rest.")
    sync_status: SyncStatus | None = None


class _Envelope(StrictModel):
    @model_validator(mode="before")
    @classmethod
    def _wrap_bare_object(cls, data: Any) -> Any:
        if isinstance(data, dict) and ENVELOPE not in data:
            return {ENVELOPE: data}
        return data


class AdvertiserMappingCreate(_MappingWrite):
    advertiser_id: PositiveId
    provider_type: ProviderType = ProviderType.EVERFLOW
    provider_advertiser_id: ProviderEntityId | None = None


class AffiliateMappingCreate(_MappingWrite):
    affiliate_id: PositiveId
    provider_type: ProviderType = ProviderType.EVERFLOW
    provider_affiliate_id: ProviderEntityId | None = None


class AdvertiserMappingUpdate(_MappingWrite):
    """Partial update: an omitted field keeps its value; `api_credentials: null` removes the credentials."""

    advertiser_id: PositiveId | None = Field(default=None, description="Accepted only if unchanged.")
    provider_type: ProviderType | None = Field(default=None, description="Accepted only if unchanged.")
    provider_advertiser_id: ProviderEntityId | None = None


class AffiliateMappingUpdate(_MappingWrite):
    """Partial update: an omitted field keeps its value; `api_credentials: null` removes the credentials."""

    affiliate_id: PositiveId | None = Field(default=None, description="Accepted only if unchanged.")
    provider_type: ProviderType | None = Field(default=None, description="Accepted only if unchanged.")
    provider_affiliate_id: ProviderEntityId | None = None


class AdvertiserMappingCreateBody(_Envelope):
    provider_mapping: AdvertiserMappingCreate


class AffiliateMappingCreateBody(_Envelope):
    provider_mapping: AffiliateMappingCreate


class AdvertiserMappingUpdateBody(_Envelope):
    provider_mapping: AdvertiserMappingUpdate


class AffiliateMappingUpdateBody(_Envelope):
    provider_mapping: AffiliateMappingUpdate


MappingCreate = AdvertiserMappingCreate | AffiliateMappingCreate
MappingUpdate = AdvertiserMappingUpdate | AffiliateMappingUpdate


class _MappingRead(ReadModel):
    mapping_id: int
    organization_id: int
    provider_type: ProviderType
    provider_config: dict[str, Any]
    provider_data: dict[str, Any]
    has_api_credentials: bool
    sync_status: SyncStatus
    synced_version: int | None
    sync_error: str | None
    created_at: datetime
    updated_at: datetime


class AdvertiserMappingRead(_MappingRead):
    advertiser_id: int
    provider_advertiser_id: str | None
    last_sync_at: datetime | None


class AffiliateMappingRead(_MappingRead):
    affiliate_id: int
    provider_affiliate_id: str | None
    last_sync_at: datetime | None


class CampaignMappingRead(_MappingRead):
    campaign_id: int
    provider_offer_id: str | None
    is_active_on_provider: bool
    last_synced_at: datetime | None


class AdvertiserMappingEnvelope(ReadModel):
    provider_mapping: AdvertiserMappingRead


class AffiliateMappingEnvelope(ReadModel):
    provider_mapping: AffiliateMappingRead


class CampaignMappingEnvelope(ReadModel):
    provider_mapping: CampaignMappingRead


READS: dict[EntityKind, tuple[type[_MappingRead], type[ReadModel]]] = {
    EntityKind.ADVERTISER: (AdvertiserMappingRead, AdvertiserMappingEnvelope),
    EntityKind.AFFILIATE: (AffiliateMappingRead, AffiliateMappingEnvelope),
    EntityKind.CAMPAIGN: (CampaignMappingRead, CampaignMappingEnvelope),
}


def mapping_read(mapping: ProviderMapping) -> ReadModel:
    """`{"provider_mapping": {...}}` with the kind's own field names; never the credentials."""
    read, envelope = READS[mapping.kind]
    values = {name: getattr(mapping, name) for name in _MappingRead.model_fields}
    values[mapping.kind.entity_field] = mapping.entity_id
    values[mapping.kind.provider_id_field] = mapping.provider_entity_id
    values["last_synced_at" if mapping.kind is EntityKind.CAMPAIGN else "last_sync_at"] = mapping.last_sync_at
    if mapping.kind is EntityKind.CAMPAIGN:
        values["is_active_on_provider"] = bool(mapping.is_active_on_provider)
    return envelope.model_validate({ENVELOPE: read(**values)})
