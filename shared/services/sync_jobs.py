"""Sync-all jobs: start one over a kind's out-of-date entities (or rejoin the one already going), read one."""

from __future__ import annotations

from shared.adapters.job_launcher import JobLauncher
from shared.db.uow import UnitOfWork
from shared.domain.audit import AuditEntry, diff
from shared.domain.errors import NotFound
from shared.domain.principal import Actor
from shared.domain.provider_mappings import EntityKind
from shared.domain.sync_jobs import SyncJob, SyncJobStatus
from shared.repositories.sync_jobs import SyncJobRepository


def start_sync_all(kind: EntityKind, *, uow: UnitOfWork, actor: Actor, launcher: JobLauncher,
                   limit: int | None = None) -> tuple[SyncJob, bool]:
    """A new job over the entities with no mapping or a failed, pending or stale one (the first `limit`),
    or the kind's unfinished job; either way a run is started unless a live process already runs it.
    Returns the job and whether it is new."""
    job, created = _new_or_unfinished(kind, uow, actor, limit)
    if created or job.status in (SyncJobStatus.QUEUED, SyncJobStatus.STALLED):
        launcher.launch(job)
    return job, created


def get_sync_job(sync_job_id: int, *, uow: UnitOfWork, actor: Actor) -> SyncJob:
    """A job and its progress; a running job no process holds any more reads as `stalled`."""
    with uow:
        jobs = SyncJobRepository(uow.session)
        job = jobs.get(sync_job_id)
        if job is None:
            raise NotFound(f"Sync job {sync_job_id} was not found.")
        return job.reported(held=jobs.held(sync_job_id))


def _new_or_unfinished(kind: EntityKind, uow: UnitOfWork, actor: Actor, limit: int | None) -> tuple[SyncJob, bool]:
    with uow:
        jobs = SyncJobRepository(uow.session)
        if (running := jobs.unfinished(kind)) is not None:
            return running.reported(held=jobs.held(running.sync_job_id)), False
        total, until_id = jobs.out_of_date_summary(kind, limit=limit)
        job = jobs.add(kind, total=total, until_id=until_id,
                       requested_by=actor.principal.user_id if actor.principal else None)
        if job is None:  # another request created it meanwhile (the unique index waited for its commit)
            running = jobs.unfinished(kind)
            assert running is not None
            return running.reported(held=jobs.held(running.sync_job_id)), False
        uow.audit.record(actor, AuditEntry("sync_job.start", "sync_job", str(job.sync_job_id), None,
                                           diff({}, {"kind": kind.value, "total": total, "until_id": until_id})))
        uow.commit()
    return job, True
