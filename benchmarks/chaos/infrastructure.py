"""Infrastructure faults under load: PostgreSQL restarted, Redis (Valkey) killed.

Each scenario starts its own servers on loopback (benchmarks/chaos/servers.py), migrates and seeds
them as `make bench` does, runs functions under functions-framework (gunicorn) as production runs
them, drives background traffic, injects the fault and judges what the traffic and the stores saw.
The judging functions are pure (tests/unit/test_chaos_infrastructure.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import psutil
import redis

from benchmarks.chaos.outcome import Outcome
from benchmarks.chaos.servers import Postgres, Valkey, restartable_postgres, restartable_valkey
from benchmarks.chaos.traffic import Request, Sample, Traffic, between, first_success_after, latency_figures
from benchmarks.servers import FunctionProcess, Platform, function_process, platform, wait_for_health
from shared.auth.tokens import issue
from shared.db.pool import Pool
from shared.db.session import Row, transaction
from shared.db.url import parse_database_url

NAMES = ("postgres-restart", "redis-killed")
WARM_S = 4.0  # traffic before the fault, so pools and caches are in use when it strikes
DOWN_S = 12.0
PAUSE_S = 0.02  # between one thread's requests: load, without starving the two cores of the machine
DOWN_LATENCY_BOUND_S = 5.0  # "fails fast": no request may take longer while a dependency is down
RECOVERY_BOUND_S = 10.0  # after the dependency is back, every kind of request succeeds again within this
SETTLE_S = 5.0  # the last stretch of the run, in which every request must succeed
LIMITED_PER_MINUTE = 60  # the limit of the function that checks the rate-limit fallback
STOP_MODE = "immediate"  # a crash: in-flight transactions are cut, recovery runs on the next start


@dataclass(frozen=True)
class Stack:
    platform: Platform
    postgres: Postgres
    valkey: Valkey


@dataclass(frozen=True)
class Timeline:
    """perf_counter() instants: the fault in effect (`out`), being undone (`back`), undone (`up`), the end."""

    out: float
    back: float
    up: float
    end: float


def run(names: Sequence[str]) -> list[Outcome]:
    scenarios: dict[str, Callable[[], Outcome]] = {"postgres-restart": postgres_restart, "redis-killed": redis_killed}
    return [scenarios[name]() for name in names]


@contextlib.contextmanager
def _stack() -> Iterator[Stack]:
    """Restartable servers, migrated and seeded; the platform's env points the functions at them."""
    with contextlib.ExitStack() as stack:
        work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="abp-chaos-")))
        postgres = stack.enter_context(restartable_postgres(work_dir))
        valkey = stack.enter_context(restartable_valkey(work_dir))
        stack.enter_context(mock.patch.dict(os.environ, {"DATABASE_URL": postgres.url, "REDIS_URL": valkey.url}))
        yield Stack(stack.enter_context(platform()), postgres, valkey)


def _start(stack: contextlib.ExitStack, entry_point: str, env: dict[str, str], log_dir: Path) -> FunctionProcess:
    log_path = log_dir / f"{entry_point}-{uuid.uuid4().hex[:6]}.log"
    function = stack.enter_context(function_process(entry_point, env, log_path))
    wait_for_health(function)
    return function


def _pids(functions: Sequence[FunctionProcess]) -> set[int]:
    """Gunicorn masters and their workers: a restarted worker would hide a pool that never recovers."""
    pids = set()
    for function in functions:
        master = psutil.Process(function.process.pid)
        pids |= {master.pid, *(child.pid for child in master.children(recursive=True))}
    return pids


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _query(database_url: str, sql: str, **params: Any) -> list[Row]:
    """One read as the database owner (row-level security does not hide the rows being checked)."""
    pool = Pool(parse_database_url(database_url), size=1, statement_timeout_ms=30_000, connect_timeout_s=5)
    try:
        with transaction(pool) as session:
            return session.fetch_all(sql, **params)
    finally:
        pool.close()


# --- postgres-restart -----------------------------------------------------------------------------

def postgres_restart() -> Outcome:
    """Stop PostgreSQL for DOWN_S under reads and writes, start it on the same port, judge."""
    began = time.perf_counter()
    run_id = uuid.uuid4().hex[:8]
    with _stack() as stack, contextlib.ExitStack() as functions:
        env = stack.platform.env
        organizations = _start(functions, "organizations_api", env, stack.platform.work_dir)
        campaigns = _start(functions, "campaigns_api", env, stack.platform.work_dir)
        streams = _postgres_streams(stack.platform, organizations.port, campaigns.port, run_id)
        pids_before = _pids([organizations, campaigns])
        traffic = Traffic(streams, PAUSE_S)
        with traffic.running():
            timeline = _restart_postgres(stack.postgres, traffic)
        pids_after = _pids([organizations, campaigns])
        stored = _query(stack.postgres.url, STORED_WRITES, prefix=f"chaos-{run_id}-%")
    checks, figures = judge_postgres_restart(traffic.samples, timeline, stored, pids_before == pids_after)
    return Outcome("postgres-restart", time.perf_counter() - began, checks, figures)


STORED_WRITES = """
SELECT o.name, o.organization_id,
       (SELECT count(*) FROM outbox e WHERE e.event_type = 'billing_account.opened'
                                        AND e.organization_id = o.organization_id) AS events
FROM organizations o WHERE o.name LIKE :prefix
"""


def _postgres_streams(platform: Platform, organizations: int, campaigns: int,
                      run_id: str) -> list[Callable[[int], Request]]:
    """Two readers of lists, one of another function, two writers of uniquely named organizations."""
    headers = _bearer(platform.admin_token)
    org_campaigns = f"/api/v1/organizations/{platform.organization_id}/campaigns"

    def reads(_: int) -> Request:
        return Request("read", "GET", organizations, "/api/v1/organizations", headers)

    def campaign_reads(_: int) -> Request:
        return Request("read", "GET", campaigns, org_campaigns, headers)

    def writer(worker: int) -> Callable[[int], Request]:
        def write(number: int) -> Request:
            body = {"name": f"chaos-{run_id}-{worker}-{number}", "type": "advertiser"}
            return Request("write", "POST", organizations, "/api/v1/organizations", headers, body)
        return write

    return [reads, reads, campaign_reads, writer(0), writer(1)]


def _restart_postgres(postgres: Postgres, traffic: Traffic) -> Timeline:
    time.sleep(WARM_S)
    postgres.stop(STOP_MODE)
    out = time.perf_counter()
    time.sleep(DOWN_S)
    back = time.perf_counter()
    postgres.start()
    up = time.perf_counter()
    _wait(lambda: first_success_after(traffic.samples, up, ("read", "write")) is not None, RECOVERY_BOUND_S)
    time.sleep(SETTLE_S)
    return Timeline(out, back, up, time.perf_counter())


def _wait(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def judge_postgres_restart(samples: Sequence[Sample], timeline: Timeline, stored: Sequence[Row],
                           same_processes: bool) -> tuple[dict[str, bool], dict[str, str | int | float]]:
    """The checks and figures of postgres-restart, from what the traffic saw and what the database kept."""
    down = between(samples, timeline.out, timeline.back)
    settled = between(samples, timeline.end - SETTLE_S, timeline.end)
    recovery = first_success_after(samples, timeline.up, ("read", "write"))
    acknowledged = {s.sent["name"]: s.body["organization_id"] for s in samples if s.kind == "write" and s.ok}
    rows: dict[str, list[Row]] = {}
    for row in stored:
        rows.setdefault(row["name"], []).append(row)
    checks = {
        "503 + JSON error while down": bool(down) and all(s.status == 503 and s.json_error for s in down),
        f"max latency while down < {DOWN_LATENCY_BOUND_S:.0f} s": bool(down) and max(
            s.latency_s for s in down) < DOWN_LATENCY_BOUND_S,
        "no 5xx but 503, no request unanswered": all(s.status is not None and (s.status < 500 or s.status == 503)
                                                     for s in samples),
        f"reads and writes succeed within {RECOVERY_BOUND_S:.0f} s of the restart": recovery is not None
        and recovery <= RECOVERY_BOUND_S,
        f"every request 2xx in the last {SETTLE_S:.0f} s": bool(settled) and all(s.ok for s in settled),
        "same function processes (no restart)": same_processes,
        "acknowledged writes stored exactly once": bool(acknowledged) and all(
            [row["organization_id"] for row in rows.get(name, [])] == [org_id]
            for name, org_id in acknowledged.items()),
        "no write doubled": all(len(found) == 1 for found in rows.values()),
        "one outbox event per acknowledged write": all(
            rows[name][0]["events"] == 1 for name in acknowledged if len(rows.get(name, [])) == 1),
    }
    refused = {s.sent["name"] for s in samples if s.kind == "write" and not s.ok}
    figures: dict[str, str | int | float] = {
        "requests": len(samples),
        "503s": sum(s.status == 503 for s in samples),
        "requests while down": len(down),
        **latency_figures(down, "while down"),
        "s to recover": round(recovery, 2) if recovery is not None else "never",
        "writes acknowledged": len(acknowledged),
        "refused writes committed anyway": len(refused & rows.keys()),
        "down for s": round(timeline.back - timeline.out, 1),
        "stop mode": STOP_MODE,
    }
    return checks, figures


# --- redis-killed ---------------------------------------------------------------------------------

def redis_killed() -> Outcome:
    """SIGKILL Valkey for DOWN_S under reads, writes, dashboards and a rate-limited client; restart; judge."""
    from functions.local.embedded import sandbox_settings
    from shared.adapters.everflow.sandbox import start_sandbox

    began = time.perf_counter()
    with _stack() as stack, start_sandbox() as everflow, contextlib.ExitStack() as functions:
        env = {**stack.platform.env, **sandbox_settings(everflow)}
        limited_env = {**env, "RATE_LIMIT_USER_PER_MINUTE": str(LIMITED_PER_MINUTE)}
        work_dir = stack.platform.work_dir
        ports = {name: _start(functions, entry, function_env, work_dir).port for name, entry, function_env in (
            ("organizations", "organizations_api", env), ("dashboards", "dashboard_api", env),
            ("limited", "organizations_api", limited_env))}
        streams = _redis_streams(stack.platform, ports, _manager_token(stack))
        traffic = Traffic(streams, PAUSE_S)
        with traffic.running():
            timeline, shared_again = _kill_valkey(stack.valkey)
    checks, figures = judge_redis_killed(traffic.samples, timeline, shared_again)
    return Outcome("redis-killed", time.perf_counter() - began, checks, figures)


def _manager_token(stack: Stack) -> str:
    """A user of another organization than the admin's: the limited client spends a budget of its own."""
    user = _query(stack.postgres.url, "SELECT id, email FROM profiles WHERE organization_id = :org ORDER BY email"
                  " LIMIT 1", org=stack.platform.organization_id)[0]
    return issue(user["id"], stack.platform.env["SUPABASE_JWT_SECRET"], email=user["email"])


def _redis_streams(platform: Platform, ports: dict[str, int], manager_token: str) -> list[Callable[[int], Request]]:
    """Lists and writes, the dashboard (cached) and dashboards of ever new periods (misses), a limited client."""
    headers = _bearer(platform.admin_token)
    today = dt.datetime.now(dt.UTC).date()

    def reads(_: int) -> Request:
        return Request("read", "GET", ports["organizations"], "/api/v1/organizations", headers)

    def writes(number: int) -> Request:
        body = {"name": f"chaos-redis-{uuid.uuid4().hex[:8]}-{number}", "type": "affiliate"}
        return Request("write", "POST", ports["organizations"], "/api/v1/organizations", headers, body)

    def dashboard(_: int) -> Request:
        return Request("dashboard", "GET", ports["dashboards"], "/api/v1/dashboard?period=7d", headers)

    def new_period(number: int) -> Request:
        end = today - dt.timedelta(days=number % 300)
        query = f"period=custom&start_date={end - dt.timedelta(days=6)}&end_date={end}"
        return Request("dashboard", "GET", ports["dashboards"], f"/api/v1/dashboard?{query}", headers)

    def limited(_: int) -> Request:
        return Request("limited", "GET", ports["limited"], "/api/v1/organizations", _bearer(manager_token))

    return [reads, writes, dashboard, new_period, limited]


@dataclass(frozen=True)
class SharedAgain:
    """Seconds after the restart until the new (empty) Valkey held a key of each kind; None: never."""

    rate_limits_s: float | None
    report_cache_s: float | None


def _kill_valkey(valkey: Valkey) -> tuple[Timeline, SharedAgain]:
    time.sleep(WARM_S)
    valkey.kill()
    out = time.perf_counter()
    time.sleep(DOWN_S)
    back = time.perf_counter()
    valkey.start()
    up = time.perf_counter()
    client = valkey.client()
    waits: dict[str, float | None] = {}
    for pattern in ("rl:*", "rc:entity:*"):
        found = _wait(functools.partial(_holds, client, pattern), RECOVERY_BOUND_S * 2)
        waits[pattern] = time.perf_counter() - up if found else None
    time.sleep(SETTLE_S)
    return Timeline(out, back, up, time.perf_counter()), SharedAgain(waits["rl:*"], waits["rc:entity:*"])


def _holds(client: redis.Redis, pattern: str) -> bool:
    return any(True for _ in client.scan_iter(match=pattern, count=1000))


def allowed_by_local_limit(seconds: float, per_minute: int = LIMITED_PER_MINUTE) -> int:
    """The most one instance may admit in `seconds`: a full bucket, its refill, and one for the clocks' edges.

    The fallback starts from an empty memory (a full bucket) at the first Redis failure, a moment before
    the window is measured from; a request at that edge is the one of slack.
    """
    return per_minute + math.ceil(seconds * per_minute / 60) + 1


def judge_redis_killed(samples: Sequence[Sample], timeline: Timeline,
                       shared_again: SharedAgain) -> tuple[dict[str, bool], dict[str, str | int | float]]:
    """The checks and figures of redis-killed, from what the traffic saw and what the new Valkey received."""
    service = [s for s in samples if s.kind != "limited"]
    down = between(service, timeline.out, timeline.back)
    dashboards = [s for s in down if s.kind == "dashboard"]
    limited = between([s for s in samples if s.kind == "limited"], timeline.out, timeline.back)
    limited_ok = sum(s.ok for s in limited)
    limited_denied = sum(s.status == 429 for s in limited)
    bound = DOWN_LATENCY_BOUND_S
    checks = {
        "every request 2xx throughout (no 5xx)": bool(down) and all(s.ok for s in service),
        f"max latency while down < {bound:.0f} s": bool(down) and max(s.latency_s for s in down) < bound,
        "dashboards answer while down (cache bypassed)": bool(dashboards) and all(s.ok for s in dashboards),
        "rate limit enforced per instance while down": limited_denied > 0 and 0 < limited_ok <= allowed_by_local_limit(
            timeline.back - timeline.out) and all(s.ok or s.status == 429 for s in limited),
        "rate limits use the new Valkey": shared_again.rate_limits_s is not None,
        "report cache uses the new Valkey": shared_again.report_cache_s is not None,
    }
    figures: dict[str, str | int | float] = {
        "requests": len(service),
        "errors": sum(not s.ok for s in service),
        "requests while down": len(down),
        **latency_figures(down, "while down"),
        "limited 2xx/429 while down": f"{limited_ok}/{limited_denied}",
        "s until cache shared": _seconds(shared_again.report_cache_s),
        "s until limits shared": _seconds(shared_again.rate_limits_s),
        "down for s": round(timeline.back - timeline.out, 1),
    }
    return checks, figures


def _seconds(value: float | None) -> str | float:
    return "never" if value is None else round(value, 1)
