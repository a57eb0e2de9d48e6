"""Response models of the Everflow sync routes and the sync jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from shared.domain.provider_mappings import EntityKind, ProviderType
from shared.domain.sync_jobs import SyncJob, SyncJobStatus
from shared.schemas.advertisers import AdvertiserRead
from shared.schemas.affiliates import AffiliateRead
from shared.schemas.campaigns import CampaignRead
from shared.schemas.common import QueryModel, ReadModel
from shared.schemas.provider_mappings import AdvertiserMappingRead, AffiliateMappingRead, CampaignMappingRead

Severity = Literal["critical", "high", "medium", "low"]
Action = Literal["created", "updated", "adopted", "unchanged"]


class AdvertiserSyncRead(ReadModel):
    message: str
    action: Action = Field(description="What the sync did to the Everflow object.")
    provider_mapping: AdvertiserMappingRead


class AffiliateSyncRead(ReadModel):
    message: str
    action: Action = Field(description="What the sync did to the Everflow object.")
    provider_mapping: AffiliateMappingRead


class CampaignSyncRead(ReadModel):
    message: str
    action: Action = Field(description="What the sync did to the Everflow offer.")
    provider_mapping: CampaignMappingRead


class SkippedFieldRead(ReadModel):
    field: str = Field(description="Everflow's name of the field.")
    provider_value: Any
    reason: str


class _PullRead(ReadModel):
    message: str
    pulled: dict[str, Any] = Field(description="Our fields that took Everflow's value, with the new value.")
    skipped: list[SkippedFieldRead] = Field(description="Fields that differ but were not taken over, and why.")


class AdvertiserPullRead(_PullRead):
    advertiser: AdvertiserRead


class AffiliatePullRead(_PullRead):
    affiliate: AffiliateRead


class CampaignPullRead(_PullRead):
    campaign: CampaignRead


class DiscrepancyRead(ReadModel):
    field: str = Field(description="Everflow's field name, or provider_mapping / provider_record.")
    local_value: Any = Field(description="What a sync would write (in Everflow's terms).")
    provider_value: Any
    severity: Severity
    message: str | None = None


class SyncAllQuery(QueryModel):
    limit: int | None = Field(default=None, ge=1, le=10_000_000,
                              description="Cover only the first `limit` out-of-date entities (by id).")


class SyncJobRead(ReadModel):
    sync_job_id: int
    kind: EntityKind
    provider_type: ProviderType
    status: SyncJobStatus = Field(description="`stalled`: running, but its process is gone; start it again.")
    total: int = Field(description="Entities the job covers (counted when it was created; exact once completed).")
    processed: int
    succeeded: int
    failed: int
    last_processed_id: int = Field(description="The cursor: every covered entity up to this id is counted.")
    last_error: str | None
    failures: list[dict[str, Any]] = Field(description="The first failures: entity_id and error.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime


class SyncJobAccepted(ReadModel):
    message: str
    sync_job_id: int
    status_url: str
    sync_job: SyncJobRead


def sync_job_read(job: SyncJob) -> SyncJobRead:
    fields = {name: getattr(job, name) for name in SyncJobRead.model_fields if name != "last_processed_id"}
    return SyncJobRead(**fields, last_processed_id=job.cursor_id)
