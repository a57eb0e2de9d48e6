"""Running a sync-all job: every covered entity through `sync_entity`, in id order, resumably.

A run holds the job's lease, takes the job's next page of ids after the cursor, syncs them on a few
threads (the shared request budget keeps Everflow under its rate limit whatever their number) and
counts the outcomes in id order, saving the counters and the cursor every `save_every_s`. A run that
dies loses at most that much counting: the next run takes those entities again (synced since the job
was created, they are still the job's), finds them current at no Everflow call, and counts them then,
so each entity is counted once.

An entity that fails (refused, or still failing after the client's retries) is counted and left
`failed` in its mapping for the next job or the daily reconciliation; a long streak of transient
failures means Everflow is down, and the run stops (status `failed`) rather than fail everything.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from shared.adapters.everflow.errors import EverflowError
from shared.db.uow import UnitOfWork
from shared.domain.errors import DomainError, NotFound, ServiceUnavailable
from shared.domain.principal import TenantScope
from shared.domain.provider_mappings import EntityKind
from shared.domain.sync_jobs import EntityResult, JobBusy, SyncJob, SyncJobStatus, Tally
from shared.repositories.sync_jobs import SyncJobRepository, job_lease
from shared.services.everflow_sync import Everflow, SyncFailed, sync_entity

log = logging.getLogger(__name__)
EVERYTHING = TenantScope.everything()
Sync = Callable[[EntityKind, int], object]
Report = Callable[[SyncJob], None]


@dataclass(frozen=True)
class RunOptions:
    workers: int = 4  # each holds a database connection while it talks to Everflow
    page: int = 200
    save_every_s: float = 0.5
    abort_after_transient: int = 25  # consecutive transient failures: Everflow is down, stop


def run_sync_job(sync_job_id: int, *, sync: Sync | None = None, options: RunOptions | None = None,
                 report: Report | None = None) -> SyncJob:
    """Run (or continue) a job to its end; JobBusy when another live process runs it."""
    options = options or RunOptions()
    with job_lease(sync_job_id) as held:
        if not held:
            raise JobBusy(f"Sync job {sync_job_id} is being run by another process.")
        job = _begin(sync_job_id)
        if job.status.finished:
            return job
        chosen = sync or functools.partial(sync_entity, everflow=Everflow.configured())
        with ThreadPoolExecutor(options.workers, thread_name_prefix=f"sync-job-{sync_job_id}") as pool:
            return _Run(job, chosen, pool, options, report).to_the_end()


class _Run:
    def __init__(self, job: SyncJob, sync: Sync, pool: ThreadPoolExecutor, options: RunOptions,
                 report: Report | None) -> None:
        self.job, self.sync, self.pool, self.options, self.report = job, sync, pool, options, report
        self.tally = Tally(job.cursor_id)
        self.saved_at = time.monotonic()

    def to_the_end(self) -> SyncJob:
        try:
            while ids := _next_ids(self.job, self.tally.cursor_id, self.options.page):
                if not self._page(ids):
                    return self._finish(SyncJobStatus.FAILED, f"stopped after {self.tally.transient_streak}"
                                        f" transient failures in a row; last: {self.tally.last_error}")
        except BaseException:
            self._save_quietly()  # whatever stopped us, what is counted stays counted
            raise
        return self._finish(SyncJobStatus.COMPLETED)

    def _page(self, ids: list[int]) -> bool:
        """Sync a page and count it in id order; False when Everflow looks down."""
        futures = [self.pool.submit(_attempt, self.sync, self.job.kind, entity_id) for entity_id in ids]
        try:
            for future in futures:
                self.tally.add(future.result())
                if self.report is not None:
                    self.report(self.tally.applied_to(self.job))
                if self.tally.transient_streak >= self.options.abort_after_transient:
                    return False
                if time.monotonic() - self.saved_at >= self.options.save_every_s:
                    self._save()
        finally:
            _cancel(futures)
        return True

    def _save(self) -> None:
        self.job = _saved(self.tally.applied_to(self.job))
        self.tally = self.tally.saved()
        self.saved_at = time.monotonic()

    def _save_quietly(self) -> None:
        try:
            self._save()
        except Exception:  # the database may be what failed; the next run recounts from the last save
            log.exception("could not save the progress of sync job %s", self.job.sync_job_id)

    def _finish(self, status: SyncJobStatus, error: str | None = None) -> SyncJob:
        job = self.tally.applied_to(self.job)
        total = job.processed if status is SyncJobStatus.COMPLETED else job.total  # the set moved meanwhile
        self.tally = self.tally.saved()
        self.job = _saved(replace(job, status=status, total=total, finished_at=datetime.now(UTC),
                                  last_error=error or job.last_error))
        log.info("sync job %s %s: %s of %s synced, %s failed", job.sync_job_id, status, job.succeeded,
                 job.processed, job.failed)
        return self.job


def _attempt(sync: Sync, kind: EntityKind, entity_id: int) -> EntityResult:
    """One entity's sync, its failure as a result; anything unexpected stops the run (it stays resumable)."""
    try:
        sync(kind, entity_id)
    except SyncFailed as exc:
        return EntityResult(entity_id, str(exc))
    except EverflowError as exc:  # transient, and still failing after the client's retries
        return EntityResult(entity_id, str(exc), transient=exc.transient)
    except ServiceUnavailable as exc:  # the database, briefly
        return EntityResult(entity_id, exc.message, transient=True)
    except DomainError as exc:  # e.g. an offer needs a destination URL
        return EntityResult(entity_id, exc.message)
    return EntityResult(entity_id)


def _begin(sync_job_id: int) -> SyncJob:
    with UnitOfWork(EVERYTHING) as uow:
        jobs = SyncJobRepository(uow.session)
        job = jobs.get(sync_job_id, for_update=True)
        if job is None:
            raise NotFound(f"Sync job {sync_job_id} was not found.")
        if not job.status.finished:
            job = jobs.save(replace(job, status=SyncJobStatus.RUNNING, started_at=job.started_at or datetime.now(UTC)))
        uow.commit()
    return job


def _next_ids(job: SyncJob, after: int, page: int) -> list[int]:
    with UnitOfWork(EVERYTHING) as uow:
        return SyncJobRepository(uow.session).next_ids(job, after=after, limit=page)


def _saved(job: SyncJob) -> SyncJob:
    with UnitOfWork(EVERYTHING) as uow:
        stored = SyncJobRepository(uow.session).save(job)
        uow.commit()
    return stored


def _cancel(futures: list[Future[EntityResult]]) -> None:
    for future in futures:
        future.cancel()
