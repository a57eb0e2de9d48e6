"""The infrastructure fault scenarios' judging: each check fails when what happened says it should."""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.chaos.infrastructure import (
    LIMITED_PER_MINUTE,
    SharedAgain,
    Timeline,
    allowed_by_local_limit,
    judge_postgres_restart,
    judge_redis_killed,
)
from benchmarks.chaos.traffic import Sample, between, first_success_after, latency_figures

# Fault cut in at 10 s, undone at 22 s, back at 23 s; the run ends at 35 s.
TIMELINE = Timeline(out=10.0, back=22.0, up=23.0, end=35.0)
UNAVAILABLE = {"error": {"code": "service_unavailable", "message": "The database is unavailable."}}


def sample(kind: str, started: float, status: int | None = 200, *, latency_s: float = 0.01, body: Any = None,
           sent: Any = None) -> Sample:
    return Sample(kind, started, latency_s, status, body, sent)


def write(started: float, name: str, status: int = 201, org_id: int = 1) -> Sample:
    body = {"organization_id": org_id} if status == 201 else UNAVAILABLE
    return sample("write", started, status, body=body, sent={"name": name})


def healthy_postgres_run() -> list[Sample]:
    """Reads and writes succeed, fail with 503 while the database is down, and succeed again after."""
    samples = [sample("read", t, 200 if t < 10 or t > 23.2 else 503, body=None if t < 10 or t > 23.2 else UNAVAILABLE)
               for t in range(1, 35)]
    samples += [write(5.0, "w-1", org_id=11), write(15.0, "w-2", status=503), write(24.0, "w-3", org_id=13),
                write(31.0, "w-4", org_id=14)]
    return samples


STORED = [{"name": "w-1", "organization_id": 11, "events": 1}, {"name": "w-3", "organization_id": 13, "events": 1},
          {"name": "w-4", "organization_id": 14, "events": 1}]


def test_a_clean_postgres_restart_passes_every_check() -> None:
    checks, figures = judge_postgres_restart(healthy_postgres_run(), TIMELINE, STORED, same_processes=True)
    assert all(checks.values()), checks
    assert figures["writes acknowledged"] == 3
    assert figures["503s"] == 15  # reads at 10..23 s and the write at 15 s


@pytest.mark.parametrize(("change", "failing"), [
    (lambda s: [*s, sample("read", 5.0, 500, body=UNAVAILABLE)], ["no 5xx but 503, no request unanswered"]),
    (lambda s: [*s, sample("read", 5.0, None)], ["no 5xx but 503, no request unanswered"]),
    (lambda s: [*s, sample("read", 12.0, 503, body={"detail": "down"})], ["503 + JSON error while down"]),
    (lambda s: [*s, sample("read", 12.0, 503, latency_s=6.0, body=UNAVAILABLE)], ["max latency while down < 5 s"]),
    (lambda s: [*s, sample("read", 33.0, 503, body=UNAVAILABLE)], ["every request 2xx in the last 5 s"]),
    (lambda s: [x for x in s if x.started < 23 or not x.ok],
     ["reads and writes succeed within 10 s of the restart", "every request 2xx in the last 5 s"]),
])
def test_each_postgres_check_fails_on_its_own_symptom(change: Any, failing: list[str]) -> None:
    checks, _ = judge_postgres_restart(change(healthy_postgres_run()), TIMELINE, STORED, same_processes=True)
    assert [name for name, held in checks.items() if not held] == failing


def test_lost_doubled_or_eventless_writes_fail_the_consistency_checks() -> None:
    lost = [row for row in STORED if row["name"] != "w-3"]
    doubled = [*STORED, {"name": "w-2", "organization_id": 12, "events": 1},
               {"name": "w-2", "organization_id": 15, "events": 1}]
    eventless = [{**row, "events": 0} if row["name"] == "w-4" else row for row in STORED]
    samples = healthy_postgres_run()
    assert not judge_postgres_restart(samples, TIMELINE, lost, True)[0]["acknowledged writes stored exactly once"]
    assert not judge_postgres_restart(samples, TIMELINE, doubled, True)[0]["no write doubled"]
    assert not judge_postgres_restart(samples, TIMELINE, eventless, True)[0]["one outbox event per acknowledged write"]
    assert not judge_postgres_restart(samples, TIMELINE, STORED, False)[0]["same function processes (no restart)"]


def test_a_refused_write_that_committed_is_counted_not_failed() -> None:
    stored = [*STORED, {"name": "w-2", "organization_id": 12, "events": 1}]
    checks, figures = judge_postgres_restart(healthy_postgres_run(), TIMELINE, stored, True)
    assert all(checks.values())
    assert figures["refused writes committed anyway"] == 1


def healthy_redis_run() -> list[Sample]:
    samples = [sample(kind, t) for kind in ("read", "write", "dashboard") for t in range(1, 35)]
    samples += [sample("limited", 10.0 + i * 0.05, 200 if i < 60 else 429) for i in range(200)]
    return samples


SHARED = SharedAgain(rate_limits_s=3.0, report_cache_s=4.0)


def test_a_clean_redis_kill_passes_every_check() -> None:
    checks, figures = judge_redis_killed(healthy_redis_run(), TIMELINE, SHARED)
    assert all(checks.values()), checks
    assert figures["limited 2xx/429 while down"] == "60/140"


@pytest.mark.parametrize(("change", "shared", "failing"), [
    (lambda s: [*s, sample("read", 12.0, 500)], SHARED, "every request 2xx throughout (no 5xx)"),
    (lambda s: [*s, sample("read", 30.0, 503)], SHARED, "every request 2xx throughout (no 5xx)"),
    (lambda s: [*s, sample("read", 12.0, latency_s=5.5)], SHARED, "max latency while down < 5 s"),
    (lambda s: [x for x in s if x.status != 429], SHARED, "rate limit enforced per instance while down"),
    (lambda s: [*s, *(sample("limited", 21.0) for _ in range(20))], SHARED,
     "rate limit enforced per instance while down"),
    (lambda s: s, SharedAgain(None, 4.0), "rate limits use the new Valkey"),
    (lambda s: s, SharedAgain(3.0, None), "report cache uses the new Valkey"),
])
def test_each_redis_check_fails_on_its_own_symptom(change: Any, shared: SharedAgain, failing: str) -> None:
    checks, _ = judge_redis_killed(change(healthy_redis_run()), TIMELINE, shared)
    assert [name for name, held in checks.items() if not held] == [failing]


def test_a_dashboard_failing_while_down_fails_the_cache_bypass_check() -> None:
    checks, _ = judge_redis_killed([*healthy_redis_run(), sample("dashboard", 12.0, 503)], TIMELINE, SHARED)
    assert not checks["dashboards answer while down (cache bypassed)"]


def test_the_local_limit_allows_a_full_bucket_its_refill_and_one_of_slack() -> None:
    assert allowed_by_local_limit(0) == LIMITED_PER_MINUTE + 1
    assert allowed_by_local_limit(12.0, per_minute=60) == 60 + 12 + 1
    assert allowed_by_local_limit(0.5, per_minute=60) == 60 + 1 + 1


def test_windows_recovery_and_latency_figures() -> None:
    samples = [sample("read", 1.0, latency_s=0.5), sample("read", 2.0, 503), sample("read", 3.0),
               sample("write", 4.0, latency_s=0.25)]
    assert [s.started for s in between(samples, 1.0, 3.005)] == [1.0, 2.0]
    assert first_success_after(samples, 1.5, ["read", "write"]) == pytest.approx(2.75)
    assert first_success_after(samples, 3.5, ["read"]) is None
    assert latency_figures(samples[:2], "x") == {"median ms x": 255.0, "max ms x": 500.0}
    assert latency_figures([], "x") == {"median ms x": 0, "max ms x": 0}
