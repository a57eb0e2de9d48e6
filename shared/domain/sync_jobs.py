"""Sync-all jobs: push every out-of-date entity of one kind to a provider, resumably, with progress.

A job covers the entities that were out of date when it started, up to `until_id`. It walks them in id
order; `cursor_id` is the last one whose outcome is counted, so a run that dies is continued by the
next run after the cursor, and every entity is counted once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.domain.errors import Conflict
from shared.domain.provider_mappings import EntityKind, ProviderType

MAX_FAILURES_KEPT = 100
MAX_ERROR = 500
SYNCABLE = (EntityKind.ADVERTISER, EntityKind.AFFILIATE, EntityKind.CAMPAIGN)


class SyncJobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    STALLED = "stalled"  # reported only: running, but no process holds it (it was killed)

    @property
    def finished(self) -> bool:
        return self in (SyncJobStatus.COMPLETED, SyncJobStatus.FAILED)


class JobBusy(Conflict):
    """Another live process is running the job."""


@dataclass(frozen=True)
class SyncJob:
    sync_job_id: int
    kind: EntityKind
    provider_type: ProviderType
    status: SyncJobStatus
    total: int
    processed: int
    succeeded: int
    failed: int
    cursor_id: int
    until_id: int
    last_error: str | None
    failures: list[dict[str, Any]]
    requested_by: UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime

    def reported(self, *, held: bool) -> SyncJob:
        """As a reader should see it: a running job that no process holds has stalled."""
        if self.status is SyncJobStatus.RUNNING and not held:
            return replace(self, status=SyncJobStatus.STALLED)
        return self


@dataclass(frozen=True)
class EntityResult:
    """How the sync of one entity ended; `error` is None on success."""

    entity_id: int
    error: str | None = None
    transient: bool = False


@dataclass
class Tally:
    """Outcomes counted since the last save, in id order; `cursor_id` is the last of them."""

    cursor_id: int
    succeeded: int = 0
    failed: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)
    last_error: str | None = None
    transient_streak: int = 0

    def add(self, result: EntityResult) -> None:
        self.cursor_id = result.entity_id
        if result.error is None:
            self.succeeded += 1
            self.transient_streak = 0
            return
        self.failed += 1
        self.last_error = bounded(f"{result.entity_id}: {result.error}")
        self.failures.append({"entity_id": result.entity_id, "error": bounded(result.error)})
        self.transient_streak = self.transient_streak + 1 if result.transient else 0

    @property
    def counted(self) -> int:
        return self.succeeded + self.failed

    def applied_to(self, job: SyncJob) -> SyncJob:
        """The job with these outcomes counted (what the next save writes)."""
        kept = (job.failures + self.failures)[:MAX_FAILURES_KEPT]
        return replace(job, processed=job.processed + self.counted, succeeded=job.succeeded + self.succeeded,
                       failed=job.failed + self.failed, cursor_id=max(job.cursor_id, self.cursor_id),
                       failures=kept, last_error=self.last_error or job.last_error)

    def saved(self) -> Tally:
        """A fresh tally that continues from this one's cursor and failure streak."""
        return Tally(self.cursor_id, transient_streak=self.transient_streak)


def bounded(text: str) -> str:
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 1] + "…"
