"""Sync-all jobs against the Everflow sandbox over HTTP: every covered entity synced once, counted once,
resumed after a crash from the saved cursor, stopped by an outage, and run from the command line."""

from __future__ import annotations

import pytest

from shared.adapters.everflow.client import get_everflow_client
from shared.adapters.everflow.sandbox import SandboxServer
from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.principal import SYSTEM, TenantScope
from shared.domain.provider_mappings import EntityKind
from shared.domain.sync_jobs import SyncJob, SyncJobStatus
from shared.repositories.sync_jobs import SyncJobRepository, job_lease
from shared.services.everflow_sync import SyncFailed, sync_entity
from shared.services.sync_jobs import get_sync_job, start_sync_all
from shared.services.sync_runner import RunOptions, run_sync_job

ADVERTISER = EntityKind.ADVERTISER
EVERYTHING = TenantScope.everything()


class Crash(Exception):
    """Stands for the process dying mid-run."""


class Launches:
    """A launcher that only remembers: these tests run the job themselves."""

    def __init__(self) -> None:
        self.jobs: list[int] = []

    def launch(self, job: SyncJob) -> None:
        self.jobs.append(job.sync_job_id)


class Counting:
    """The real sync, counting calls per entity; it crashes before the call after `crash_after` calls."""

    def __init__(self, crash_after: int | None = None) -> None:
        self.calls: dict[int, int] = {}
        self.crash_after = crash_after

    def __call__(self, kind: EntityKind, entity_id: int) -> object:
        if self.crash_after is not None and sum(self.calls.values()) >= self.crash_after:
            raise Crash(f"killed before {entity_id}")
        self.calls[entity_id] = self.calls.get(entity_id, 0) + 1
        return sync_entity(kind, entity_id)


@pytest.fixture
def sandbox(everflow: SandboxServer, env, monkeypatch) -> SandboxServer:
    monkeypatch.setenv("EVERFLOW_REQUESTS_PER_SECOND", "500")  # the budget is tested elsewhere
    get_settings.cache_clear()
    get_everflow_client.cache_clear()
    everflow.reset()
    yield everflow
    everflow.faults.reset()


@pytest.fixture
def org(make_org) -> int:
    return make_org("advertiser")


def seed(sql, org: int, count: int, *, status: str = "active") -> list[int]:
    rows = sql("INSERT INTO advertisers (organization_id, name, contact_email, status)"
               " SELECT :org, 'Brand ' || n, 'b' || n || '@brand.example', :status FROM generate_series(1, :count) n"
               " RETURNING advertiser_id", org=org, count=count, status=status)
    return sorted(int(row["advertiser_id"]) for row in rows)


def start(limit: int | None = None, launcher: Launches | None = None) -> SyncJob:
    job, _ = start_sync_all(ADVERTISER, uow=UnitOfWork(EVERYTHING), actor=SYSTEM, launcher=launcher or Launches(),
                            limit=limit)
    return job


def read(job_id: int) -> SyncJob:
    return get_sync_job(job_id, uow=UnitOfWork(EVERYTHING), actor=SYSTEM)


def remote_count(sandbox: SandboxServer, advertiser_id: int) -> int:
    label = f"abp:advertiser:{advertiser_id}"
    return sum(label in record.get("labels", []) for record in sandbox.objects("advertisers"))


def synced(sql, ids: list[int]) -> bool:
    rows = sql("SELECT count(*) AS n FROM advertiser_provider_mappings WHERE sync_status = 'synced'"
               " AND advertiser_id = ANY(CAST(:ids AS BIGINT[]))", ids=ids)
    return int(rows[0]["n"]) == len(ids)


def test_a_job_over_fifty_advertisers_syncs_each_once_and_counts_them(sql, org, sandbox) -> None:
    ids = seed(sql, org, 50)
    seed(sql, org, 2, status="archived")  # never in Everflow: nothing to do
    job = start()
    assert (job.status, job.total, job.processed, job.until_id) == (SyncJobStatus.QUEUED, 50, 0, ids[-1])
    done = run_sync_job(job.sync_job_id)
    assert (done.status, done.total, done.processed, done.succeeded, done.failed) == (
        SyncJobStatus.COMPLETED, 50, 50, 50, 0)
    assert done.cursor_id == ids[-1] and done.started_at and done.finished_at >= done.started_at
    assert all(remote_count(sandbox, advertiser_id) == 1 for advertiser_id in ids)
    assert synced(sql, ids)
    assert "429" not in sandbox.calls()["by_status"]
    assert read(job.sync_job_id) == done


def test_a_run_killed_midway_resumes_from_its_cursor_and_syncs_each_advertiser_once(sql, org, sandbox) -> None:
    ids = seed(sql, org, 30)
    job = start()
    crashing = Counting(crash_after=12)
    with pytest.raises(Crash):
        run_sync_job(job.sync_job_id, sync=crashing, options=RunOptions(workers=1, save_every_s=60))
    stopped = read(job.sync_job_id)
    assert (stopped.status, stopped.processed, stopped.cursor_id) == (SyncJobStatus.STALLED, 12, ids[11])
    resumed = Counting()
    done = run_sync_job(job.sync_job_id, sync=resumed, options=RunOptions(workers=1))
    assert (done.status, done.processed, done.succeeded, done.total) == (SyncJobStatus.COMPLETED, 30, 30, 30)
    assert sorted(resumed.calls) == ids[12:]  # nothing before the cursor again
    calls = {i: crashing.calls.get(i, 0) + resumed.calls.get(i, 0) for i in ids}
    assert set(calls.values()) == {1}
    assert all(remote_count(sandbox, advertiser_id) == 1 for advertiser_id in ids)


def test_a_killed_parallel_run_counts_every_advertiser_once_and_creates_each_once(sql, org, sandbox) -> None:
    ids = seed(sql, org, 40)
    job = start()
    with pytest.raises(Crash):
        run_sync_job(job.sync_job_id, sync=Counting(crash_after=17), options=RunOptions(workers=4, page=10))
    done = run_sync_job(job.sync_job_id, options=RunOptions(workers=4, page=10))
    assert (done.processed, done.succeeded, done.failed, done.total) == (40, 40, 0, 40)
    assert all(remote_count(sandbox, advertiser_id) == 1 for advertiser_id in ids)
    assert sandbox.calls()["by_endpoint"]["POST /v1/networks/advertisers"] == 40


def test_advertisers_a_killed_run_synced_but_had_not_counted_are_counted_by_the_next_run(sql, org, sandbox) -> None:
    ids = seed(sql, org, 6)
    job = start()
    for advertiser_id in ids[:3]:  # what a SIGKILLed run did after its last save
        sync_entity(ADVERTISER, advertiser_id)
    done = run_sync_job(job.sync_job_id)
    assert (done.processed, done.succeeded, done.total) == (6, 6, 6)
    assert sandbox.calls()["by_endpoint"]["POST /v1/networks/advertisers"] == 6


def test_progress_counts_refusals_as_failures_and_keeps_them(sql, org, sandbox) -> None:
    ids = seed(sql, org, 6)
    refused = ids[2]

    def sync(kind: EntityKind, entity_id: int) -> object:
        if entity_id == refused:
            raise SyncFailed(f"Everflow refused advertiser {entity_id}: name is taken")
        return sync_entity(kind, entity_id)

    seen: list[tuple[int, int, int]] = []
    job = run_sync_job(start().sync_job_id, sync=sync,
                       report=lambda progress: seen.append((progress.processed, progress.succeeded, progress.failed)))
    assert (job.status, job.processed, job.succeeded, job.failed) == (SyncJobStatus.COMPLETED, 6, 5, 1)
    assert job.failures == [{"entity_id": refused, "error": f"Everflow refused advertiser {refused}: name is taken"}]
    assert seen == [(1, 1, 0), (2, 2, 0), (3, 2, 1), (4, 3, 1), (5, 4, 1), (6, 5, 1)]


def test_an_everflow_outage_stops_the_job_instead_of_failing_everything(sql, org, sandbox, monkeypatch) -> None:
    monkeypatch.setenv("EVERFLOW_MAX_RETRIES", "0")
    get_settings.cache_clear()
    get_everflow_client.cache_clear()
    seed(sql, org, 10)
    sandbox.faults.set(error_rate=1.0)
    job = run_sync_job(start().sync_job_id, options=RunOptions(workers=1, abort_after_transient=3))
    assert (job.status, job.processed, job.failed) == (SyncJobStatus.FAILED, 3, 3)
    assert "3 transient failures in a row" in (job.last_error or "")
    sandbox.faults.reset()
    again = run_sync_job(start().sync_job_id)  # a new job picks up the failed ones too
    assert (again.status, again.processed, again.succeeded) == (SyncJobStatus.COMPLETED, 10, 10)


def test_a_kind_has_one_unfinished_job_and_a_new_one_covers_only_what_is_out_of_date(sql, org, sandbox) -> None:
    ids = seed(sql, org, 5)
    launches = Launches()
    first = start(launcher=launches)
    second = start(launcher=launches)
    assert second.sync_job_id == first.sync_job_id and launches.jobs == [first.sync_job_id] * 2
    run_sync_job(first.sync_job_id)
    sql("UPDATE advertisers SET name = 'Renamed' WHERE advertiser_id = :id", id=ids[1])
    later = start(limit=10)
    assert later.sync_job_id != first.sync_job_id and later.total == 1 and later.until_id == ids[1]


def test_entities_created_after_the_job_started_are_left_to_the_event_pipeline(sql, org, sandbox) -> None:
    seed(sql, org, 3)
    job = start()
    newer = seed(sql, org, 2)
    done = run_sync_job(job.sync_job_id)
    assert done.processed == 3 and all(remote_count(sandbox, advertiser_id) == 0 for advertiser_id in newer)


def test_the_count_of_a_new_job_matches_the_ids_it_pages_through(sql, org, sandbox) -> None:
    ids = seed(sql, org, 8)
    seed(sql, org, 1, status="archived")
    for advertiser_id in ids[:2]:
        sync_entity(ADVERTISER, advertiser_id)  # current: not covered
    sql("UPDATE advertisers SET name = 'Stale' WHERE advertiser_id = :id", id=ids[0])  # behind its version
    sql("UPDATE advertiser_provider_mappings SET sync_status = 'failed' WHERE advertiser_id = :id", id=ids[1])
    with UnitOfWork(EVERYTHING) as uow:
        summary = SyncJobRepository(uow.session).out_of_date_summary(ADVERTISER, limit=None)
        paged = uow.provider_mappings.out_of_date(ADVERTISER, after_id=0, limit=1000)
        limited = SyncJobRepository(uow.session).out_of_date_summary(ADVERTISER, limit=3)
    assert paged == ids and summary == (len(paged), paged[-1])
    assert limited == (3, paged[2])
    job = start()
    with UnitOfWork(EVERYTHING) as uow:
        assert SyncJobRepository(uow.session).next_ids(job, after=0, limit=1000) == paged


def test_a_job_held_by_a_live_process_is_not_run_twice(sql, org, sandbox) -> None:
    from shared.domain.sync_jobs import JobBusy

    seed(sql, org, 2)
    job = start()
    with job_lease(job.sync_job_id) as held:
        assert held
        with pytest.raises(JobBusy):
            run_sync_job(job.sync_job_id)
    assert run_sync_job(job.sync_job_id).status is SyncJobStatus.COMPLETED


def test_the_command_line_runs_a_job_with_progress_on_stderr(sql, org, sandbox, capsys) -> None:
    from functions.sync_all import main

    ids = seed(sql, org, 4)
    assert main(["--kind", "advertiser", "--workers", "2"]) == 0
    err = capsys.readouterr().err
    assert "advertiser job" in err and "4/4" in err and "completed: 4 synced, 0 failed" in err
    assert all(remote_count(sandbox, advertiser_id) == 1 for advertiser_id in ids)
    job_id = int(sql("SELECT max(sync_job_id) AS id FROM sync_jobs")[0]["id"])
    assert main(["--kind", "affiliate", "--job-id", str(job_id)]) == 2
    assert main(["--kind", "advertiser", "--job-id", str(job_id)]) == 0  # completed: nothing more to do
