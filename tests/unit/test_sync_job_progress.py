"""Counting a sync job's outcomes, reading its state, and drawing its progress bar (pure)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from functions.sync_all import ProgressBar
from shared.domain.provider_mappings import EntityKind, ProviderType
from shared.domain.sync_jobs import MAX_FAILURES_KEPT, EntityResult, SyncJob, SyncJobStatus, Tally

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def job(**fields: object) -> SyncJob:
    values = {"sync_job_id": 7, "kind": EntityKind.ADVERTISER, "provider_type": ProviderType.EVERFLOW,
              "status": SyncJobStatus.RUNNING, "total": 10, "processed": 0, "succeeded": 0, "failed": 0,
              "cursor_id": 0, "until_id": 100, "last_error": None, "failures": [], "requested_by": None,
              "created_at": NOW, "started_at": NOW, "finished_at": None, "updated_at": NOW, **fields}
    return SyncJob(**values)  # type: ignore[arg-type]


def test_a_tally_counts_in_order_and_moves_the_cursor_past_each_outcome() -> None:
    tally = Tally(cursor_id=3)
    for result in (EntityResult(4), EntityResult(6, "refused"), EntityResult(9)):
        tally.add(result)
    counted = tally.applied_to(job(processed=2, succeeded=2, cursor_id=3))
    assert (counted.processed, counted.succeeded, counted.failed, counted.cursor_id) == (5, 4, 1, 9)
    assert counted.failures == [{"entity_id": 6, "error": "refused"}] and counted.last_error == "6: refused"


def test_a_saved_tally_starts_empty_at_the_same_cursor_and_streak() -> None:
    tally = Tally(0)
    tally.add(EntityResult(1, "503", transient=True))
    tally.add(EntityResult(2, "503", transient=True))
    fresh = tally.saved()
    assert (fresh.cursor_id, fresh.counted, fresh.transient_streak) == (2, 0, 2)
    fresh.add(EntityResult(3))
    assert fresh.transient_streak == 0


def test_only_the_first_failures_are_kept() -> None:
    tally = Tally(0)
    for entity_id in range(1, MAX_FAILURES_KEPT + 20):
        tally.add(EntityResult(entity_id, "no"))
    assert len(tally.applied_to(job()).failures) == MAX_FAILURES_KEPT


def test_a_running_job_no_process_holds_reads_as_stalled() -> None:
    assert job().reported(held=False).status is SyncJobStatus.STALLED
    assert job().reported(held=True).status is SyncJobStatus.RUNNING
    assert job(status=SyncJobStatus.COMPLETED).reported(held=False).status is SyncJobStatus.COMPLETED


def test_the_progress_bar_shows_counts_rate_and_eta() -> None:
    bar = ProgressBar(io.StringIO(), width=10)
    bar.show(job(processed=0))
    line = bar.render(job(processed=5, succeeded=4, failed=1), elapsed_s=2.0)
    assert line == ("advertiser job 7 [#####.....] 5/10  50.0%  ok 4  failed 1  2.5/s  ETA 2s")


def test_the_progress_bar_writes_lines_when_not_on_a_terminal() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar.show(job(processed=1), force=True)
    bar.show(job(processed=2), force=True)
    bar.close()
    assert stream.getvalue().count("\n") == 2 and "\r" not in stream.getvalue()
