"""The platform's health as dashboards show it: sync state from the database, Redis, and Everflow's last word.

Everflow's reachability is what the last report fetch found (recorded in Redis, shared by instances):
a health check never spends an Everflow call of its own.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import redis

from shared.cache import get_redis
from shared.caching import Cached, get_report_cache
from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.errors import ServiceUnavailable
from shared.domain.sync_jobs import SyncJob
from shared.repositories import dashboards as queries
from shared.repositories.sync_jobs import SyncJobRepository

log = logging.getLogger(__name__)
RECENT_FAILURES = 5
EVERFLOW_STATUS_TTL_S = 7 * 86_400
REDIS_ERRORS = (redis.RedisError, OSError)
UpOrDown = Literal["up", "down"]


@dataclass(frozen=True)
class SyncReport:
    mappings: dict[str, dict[str, int]]
    recent_failures: list[queries.SyncFailure]
    outbox: queries.OutboxBacklog
    latest_job: SyncJob | None

    def count(self, status: str) -> int:
        """Mappings of every kind in `status`."""
        return sum(by_status.get(status, 0) for by_status in self.mappings.values())


@dataclass(frozen=True)
class EverflowStatus:
    status: Literal["up", "down", "unknown"]  # unknown: no report fetched yet
    checked_at: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class SystemHealth:
    database: UpOrDown
    redis: UpOrDown
    everflow: EverflowStatus
    sync: SyncReport | None
    report_cache: dict[str, int]
    checked_at: dt.datetime

    @property
    def status(self) -> Literal["UP", "DEGRADED", "DOWN"]:
        if self.database != "up":
            return "DOWN"
        return "UP" if self.redis == "up" and self.everflow.status != "down" else "DEGRADED"


def sync_report(uow: UnitOfWork) -> SyncReport:
    """Sync state across tenants; `uow` must be open with a cross-tenant scope."""
    session = uow.session
    return SyncReport(queries.sync_status_counts(session),
                      queries.recent_sync_failures(session, limit=RECENT_FAILURES),
                      queries.outbox_backlog(session), SyncJobRepository(session).latest())


def system_health(*, uow: UnitOfWork) -> SystemHealth:
    """Database, Redis, Everflow and sync state, read now (Everflow: as the last report fetch found it)."""
    try:
        with uow:
            sync: SyncReport | None = sync_report(uow)
    except ServiceUnavailable:
        sync = None
    return SystemHealth("up" if sync else "down", _redis_state(), everflow_status(), sync,
                        get_report_cache().stats(), dt.datetime.now(dt.UTC))


def _redis_state() -> UpOrDown:
    try:
        get_redis().ping()
    except REDIS_ERRORS:
        return "down"
    return "up"


class _LastWord:
    """Everflow's state as this instance last saw it (per key prefix), for when Redis cannot share it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, EverflowStatus] = {}

    def get(self, prefix: str) -> EverflowStatus:
        with self._lock:
            return self._seen.get(prefix, EverflowStatus("unknown"))

    def set(self, prefix: str, status: EverflowStatus) -> None:
        with self._lock:
            self._seen[prefix] = status


_LAST = _LastWord()


def note_reports(results: Sequence[Cached[Any]]) -> None:
    """Record what fetching these reports found; cache hits say nothing about Everflow now."""
    fetched = [item for item in results if not item.hit]
    if not fetched:
        return
    failed = any(item.stale for item in fetched)  # a fetch that failed was answered with the stored value
    note_everflow(ok=not failed, error="Everflow failed; cached figures were served" if failed else None)


def note_everflow(*, ok: bool, error: str | None = None) -> None:
    status = EverflowStatus("up" if ok else "down", time.time(), error)
    prefix = get_settings().report_cache_prefix
    _LAST.set(prefix, status)
    text = json.dumps({"status": status.status, "at": status.checked_at, "error": error})
    try:
        get_redis().set(_status_key(prefix), text, ex=EVERFLOW_STATUS_TTL_S)
    except REDIS_ERRORS as exc:  # this instance still knows; the others learn on their next fetch
        log.info("could not share Everflow's status: %s", type(exc).__name__)


def everflow_status() -> EverflowStatus:
    """The last report fetch's outcome, from any instance; this instance's own when Redis is down."""
    prefix = get_settings().report_cache_prefix
    try:
        raw = get_redis().get(_status_key(prefix))
    except REDIS_ERRORS:
        return _LAST.get(prefix)
    if raw is None:
        return _LAST.get(prefix)
    stored = json.loads(raw)
    return EverflowStatus("up" if stored["status"] == "up" else "down", float(stored["at"]), stored.get("error"))


def _status_key(prefix: str) -> str:
    return f"{prefix}:everflow:reports"
