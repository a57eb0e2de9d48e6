"""`python -m functions.sync_all --kind advertiser [--job-id N] [--limit N] [--workers N]`: run a sync-all job.

The command of the sync-all Cloud Run job, and an operator's. Without --job-id it starts a job over the
kind's out-of-date entities (or continues the kind's unfinished one); with --job-id it continues that
job after its cursor, e.g. after the previous run was killed. Progress goes to stderr: one line redrawn
in place on a terminal, a line every 10 s otherwise (logs). Exit status: 0 completed, 1 stopped by an
Everflow outage (run it again later), 2 bad arguments, 3 another live process is running the job.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.principal import SYSTEM, TenantScope
from shared.domain.provider_mappings import EntityKind
from shared.domain.sync_jobs import SYNCABLE, JobBusy, SyncJob, SyncJobStatus
from shared.http.logs import configure_logging
from shared.services.sync_jobs import get_sync_job, start_sync_all
from shared.services.sync_runner import RunOptions, run_sync_job

BUSY = 3


class ProgressBar:
    """A job's progress on a stream: redrawn in place (`\\r`) on a terminal, a line every `every_s` otherwise."""

    def __init__(self, stream: TextIO, *, width: int = 30) -> None:
        self._stream, self._width = stream, width
        self._interactive = stream.isatty()
        self._every_s = 0.2 if self._interactive else 10.0
        self._started = time.monotonic()
        self._shown_at = 0.0
        self._first: int | None = None  # processed when this run began (a resumed job starts part-way)
        self._length = 0

    def show(self, job: SyncJob, *, force: bool = False) -> None:
        now = time.monotonic()
        if self._first is None:
            self._first = job.processed
        if not force and now - self._shown_at < self._every_s:
            return
        self._shown_at = now
        line = self.render(job, now - self._started)
        if self._interactive:
            self._stream.write("\r" + line.ljust(self._length))
            self._length = len(line)
        else:
            self._stream.write(line + "\n")
        self._stream.flush()

    def render(self, job: SyncJob, elapsed_s: float) -> str:
        total = max(job.total, job.processed, 1)
        filled = int(self._width * job.processed / total)
        rate = (job.processed - (self._first or 0)) / elapsed_s if elapsed_s > 0 else 0.0
        left = (total - job.processed) / rate if rate > 0 else None
        return (f"{job.kind.value} job {job.sync_job_id} [{'#' * filled}{'.' * (self._width - filled)}]"
                f" {job.processed}/{job.total} {100 * job.processed / total:5.1f}%"
                f"  ok {job.succeeded}  failed {job.failed}  {rate:.1f}/s  ETA {_duration(left)}")

    def close(self) -> None:
        if self._interactive and self._length:
            self._stream.write("\n")
            self._stream.flush()


class _ThisProcess:
    """The launcher of a job this process runs itself: nothing to start elsewhere."""

    def launch(self, job: SyncJob) -> None:
        """This process is the run."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m functions.sync_all", description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--kind", required=True, choices=[kind.value for kind in SYNCABLE])
    parser.add_argument("--job-id", type=int, help="continue this job (after a kill, or a stop for an outage)")
    parser.add_argument("--limit", type=int, help="a new job covers only the first N out-of-date entities")
    parser.add_argument("--workers", type=int, help="entities synced at once (default: 4, within DB_POOL_SIZE)")
    args = parser.parse_args(argv)
    if (args.limit is not None and args.limit < 1) or (args.workers is not None and args.workers < 1):
        parser.error("--limit and --workers must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging()
    kind = EntityKind(args.kind)
    job = _job(kind, args.job_id, args.limit)
    if job.kind is not kind:
        sys.stderr.write(f"sync job {job.sync_job_id} syncs {job.kind.value}s, not {kind.value}s\n")
        return 2
    workers = args.workers or max(1, min(4, get_settings().db_pool_size - 1))  # one connection saves progress
    bar = ProgressBar(sys.stderr)
    try:
        job = run_sync_job(job.sync_job_id, options=RunOptions(workers=workers), report=bar.show)
        bar.show(job, force=True)
    except JobBusy as exc:
        sys.stderr.write(f"{exc.message}\n")
        return BUSY
    finally:
        bar.close()
    sys.stderr.write(f"sync job {job.sync_job_id} {job.status}: {job.succeeded} synced, {job.failed} failed\n")
    return 0 if job.status is SyncJobStatus.COMPLETED else 1


def _job(kind: EntityKind, job_id: int | None, limit: int | None) -> SyncJob:
    uow = UnitOfWork(TenantScope.everything())
    if job_id is not None:
        return get_sync_job(job_id, uow=uow, actor=SYSTEM)
    return start_sync_all(kind, uow=uow, actor=SYSTEM, launcher=_ThisProcess(), limit=limit)[0]


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes else f"{rest}s"


if __name__ == "__main__":
    sys.exit(main())
