"""SQL for sync-all jobs: the job rows, the set of entities a new job covers, and the run lease.

The lease is a session-level advisory lock held by the running process on a connection of its own:
PostgreSQL drops it the moment that process dies (even by SIGKILL), so a rerun can take over at once,
and readers tell a running job from a killed one by looking for the lock in pg_locks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from shared.config import get_settings
from shared.db.pool import Pool
from shared.db.session import Row, Session
from shared.db.url import parse_database_url
from shared.domain.provider_mappings import EntityKind, ProviderType
from shared.domain.sync_jobs import SyncJob, SyncJobStatus
from shared.repositories.provider_mappings import TABLES

COLUMNS = ("sync_job_id, kind, provider_type, status, total, processed, succeeded, failed, cursor_id, until_id,"
           " last_error, failures, requested_by, created_at, started_at, finished_at, updated_at")
# ProviderMappingRepository.out_of_date's condition (what the event pipeline has not synced); a test keeps
# the two in step.
OUT_OF_DATE = ("((m.mapping_id IS NULL AND e.status <> 'archived') OR (m.mapping_id IS NOT NULL"
               " AND (m.sync_status <> 'synced' OR coalesce(m.synced_version, 0) < e.version)))")
LEASE_CLASS = 7_310_511  # the advisory-lock namespace of sync jobs (any constant the schema keeps)
INT4 = 2_147_483_647


class SyncJobRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, kind: EntityKind, *, total: int, until_id: int, requested_by: UUID | None) -> SyncJob | None:
        """A queued job; None when the kind already has an unfinished one."""
        row = self._session.fetch_one(
            f"INSERT INTO sync_jobs (kind, total, until_id, requested_by)"
            f" VALUES (:kind, :total, :until_id, CAST(:by AS UUID))"
            f" ON CONFLICT (kind, provider_type) WHERE status IN ('queued', 'running') DO NOTHING"
            f" RETURNING {COLUMNS}",
            kind=kind.value, total=total, until_id=until_id, by=str(requested_by) if requested_by else None)
        return _job(row) if row else None

    def get(self, sync_job_id: int, *, for_update: bool = False) -> SyncJob | None:
        lock = " FOR UPDATE" if for_update else ""
        row = self._session.fetch_one(f"SELECT {COLUMNS} FROM sync_jobs WHERE sync_job_id = :id{lock}",
                                      id=sync_job_id)
        return _job(row) if row else None

    def latest(self) -> SyncJob | None:
        """The most recently requested job of any kind."""
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM sync_jobs ORDER BY created_at DESC, sync_job_id DESC LIMIT 1")
        return _job(row) if row else None

    def unfinished(self, kind: EntityKind, provider_type: ProviderType = ProviderType.EVERFLOW) -> SyncJob | None:
        row = self._session.fetch_one(
            f"SELECT {COLUMNS} FROM sync_jobs WHERE kind = :kind AND provider_type = :ptype"
            f" AND status IN ('queued', 'running')", kind=kind.value, ptype=provider_type.value)
        return _job(row) if row else None

    def save(self, job: SyncJob) -> SyncJob:
        """Write the job's status, counters, cursor and failures (one runner holds the job: no race)."""
        row = self._session.fetch_one(
            f"UPDATE sync_jobs SET status = :status, total = :total, processed = :processed,"
            f" succeeded = :succeeded, failed = :failed, cursor_id = :cursor_id, last_error = :last_error,"
            f" failures = CAST(:failures AS JSONB), started_at = :started_at, finished_at = :finished_at,"
            f" updated_at = now() WHERE sync_job_id = :id RETURNING {COLUMNS}",
            id=job.sync_job_id, status=job.status.value, total=job.total, processed=job.processed,
            succeeded=job.succeeded, failed=job.failed, cursor_id=job.cursor_id, last_error=job.last_error,
            failures=json.dumps(job.failures), started_at=job.started_at, finished_at=job.finished_at)
        assert row is not None
        return _job(row)

    def held(self, sync_job_id: int) -> bool:
        """Whether a live process holds the job's lease (in this database)."""
        return bool(self._session.fetch_value(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = CAST(:cls AS oid) AND objid = CAST(:key AS oid) AND objsubid = 2)",
            cls=LEASE_CLASS, key=_lease_key(sync_job_id)))

    def out_of_date_summary(self, kind: EntityKind, *, limit: int | None) -> tuple[int, int]:
        """How many entities a new job covers and the last id among them (the first `limit` by id)."""
        t = TABLES[kind]
        row = self._session.fetch_one(
            f"SELECT count(*) AS total, coalesce(max(id), 0) AS until_id FROM ("
            f" SELECT e.{t.entity} AS id FROM {_joined(kind)} WHERE {OUT_OF_DATE}"
            f" ORDER BY e.{t.entity} LIMIT CAST(:limit AS BIGINT)) covered", limit=limit)
        assert row is not None
        return int(row["total"]), int(row["until_id"])

    def next_ids(self, job: SyncJob, *, after: int, limit: int) -> list[int]:
        """The job's next entities after `after`: those still out of date, and those synced since the job
        was created, which a killed run may have synced without counting them yet (they cost no call now)."""
        t = TABLES[job.kind]
        rows = self._session.fetch_all(
            f"SELECT e.{t.entity} AS id FROM {_joined(job.kind)}"
            f" WHERE e.{t.entity} > :after AND e.{t.entity} <= :until"
            f" AND ({OUT_OF_DATE} OR m.{t.last_sync_column} >= :since)"
            f" ORDER BY e.{t.entity} LIMIT :limit", after=after, until=job.until_id, since=job.created_at, limit=limit)
        return [int(row["id"]) for row in rows]


def _joined(kind: EntityKind) -> str:
    t = TABLES[kind]
    return (f"{t.entity_table} e LEFT JOIN {t.table} m"
            f" ON m.{t.entity} = e.{t.entity} AND m.provider_type = 'everflow'")


@contextmanager
def job_lease(sync_job_id: int) -> Iterator[bool]:
    """Try to take the job's lease for the block; yields False when another live process holds it."""
    settings = get_settings()
    pool = Pool(parse_database_url(settings.database_url), size=1, statement_timeout_ms=10_000,
                connect_timeout_s=settings.db_connect_timeout_s, role=settings.db_role or None)
    try:
        with pool.connection() as con:
            session = Session(con)
            held = bool(session.fetch_value("SELECT pg_try_advisory_lock(:cls, :key)",
                                            cls=LEASE_CLASS, key=_lease_key(sync_job_id)))
            try:
                yield held
            finally:
                if held:
                    session.fetch_value("SELECT pg_advisory_unlock(:cls, :key)", cls=LEASE_CLASS,
                                        key=_lease_key(sync_job_id))
    finally:
        pool.close()


def _lease_key(sync_job_id: int) -> int:
    return sync_job_id % INT4


def _job(row: Row) -> SyncJob:
    failures: Any = row["failures"]
    return SyncJob(
        sync_job_id=row["sync_job_id"], kind=EntityKind(row["kind"]), provider_type=ProviderType(row["provider_type"]),
        status=SyncJobStatus(row["status"]), total=row["total"], processed=row["processed"],
        succeeded=row["succeeded"], failed=row["failed"], cursor_id=row["cursor_id"], until_id=row["until_id"],
        last_error=row["last_error"], failures=json.loads(failures) if isinstance(failures, str) else failures,
        requested_by=row["requested_by"], created_at=row["created_at"], started_at=row["started_at"],
        finished_at=row["finished_at"], updated_at=row["updated_at"],
    )
