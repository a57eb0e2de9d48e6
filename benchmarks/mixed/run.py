"""The mixed load and the soak: arrange, start one gunicorn process per function, run locust, sample the servers.

Dashboards call a sandboxed Everflow (benchmarks/dashboard_sandbox.py, every call delayed 80 ms,
answering from precomputed daily aggregates) in a process of its own. Locust runs headless in a
subprocess; its CSV is read back (benchmarks/mixed/figures.py).
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import redis

from benchmarks.auth_overhead import in_process
from benchmarks.dashboard_sandbox import SandboxProcess, sandbox_process
from benchmarks.dashboards import Options, aggregate_days, arrange
from benchmarks.mixed.arrange import Plan, complete
from benchmarks.mixed.figures import Failure, RouteStats, parse_failures_csv, parse_stats_csv
from benchmarks.mixed.sampling import PG_CONNECTIONS, Sample, Sampler, cpu_seconds
from benchmarks.servers import ROOT, Platform, function_process, wait_for_health
from shared.adapters.stripe.sandbox_state import DEFAULT_WEBHOOK_SECRET

FUNCTIONS = {"dashboard": "dashboard_api", "campaigns": "campaigns_api", "affiliates": "affiliates_api",
             "tracking": "tracking_links_api", "stripe": "stripe_webhook", "supabase": "supabase_webhook"}
LOCUSTFILE = ROOT / "benchmarks" / "locustfile.py"
SUPABASE_SECRET = "load-supabase-webhook-secret"
DELAY_MS = 80


@dataclass(frozen=True)
class LoadOptions:
    users: int
    spawn_rate: float
    duration_s: float
    warmup_s: float
    sample_every_s: float
    organizations: int = 50
    directory_users: int = 1_000  # signed-up users the simulated ones are drawn from


@dataclass(frozen=True)
class LoadResult:
    options: LoadOptions
    routes: list[RouteStats]
    total: RouteStats
    failures: list[Failure]
    wall_s: float
    samples: list[Sample]
    server_cpu_s: float  # the function processes, over the measured run
    data_cpu_s: float  # PostgreSQL and Valkey (embedded only; NaN when external)
    locust_cpu_s: float
    pool_size: int
    threads: int


def run_mixed(platform: Platform, options: LoadOptions) -> LoadResult:
    """Arrange, start the functions against the sandbox, warm up, then the measured locust run."""
    rng = random.Random(10)
    snapshot, aggregates = platform.work_dir / "everflow-objects.json", platform.work_dir / "everflow-days.pickle"
    dashboards = Options(users=options.directory_users, organizations=options.organizations, delay_ms=DELAY_MS)
    with sandbox_process(delay_ms=0, snapshot=None, log_path=platform.work_dir / "sandbox-arrange.log") as sandbox:
        users = arrange(platform, sandbox, dashboards, rng)
        sandbox.save(snapshot)
        print(f"  arranged {len(users)} users; computing {aggregate_days()} days of Everflow aggregates", flush=True)
        sandbox.prime(aggregate_days(), aggregates)
    orgs = complete(platform, users)
    with sandbox_process(delay_ms=DELAY_MS, snapshot=snapshot, aggregates=aggregates,
                         log_path=platform.work_dir / "sandbox-load.log") as sandbox, \
            functions(platform, sandbox) as ports:
        plan_path = platform.work_dir / "mixed-plan.json"
        Plan({name: port for name, (port, _) in ports.items()}, orgs, DEFAULT_WEBHOOK_SECRET, SUPABASE_SECRET) \
            .write(plan_path)
        try:
            return _measure(platform, options, plan_path, {name: pid for name, (_, pid) in ports.items()}, sandbox)
        finally:
            _keep_logs(platform.work_dir)


def _keep_logs(work_dir: Path) -> None:
    """The functions', the sandbox's and locust's logs outlive the temporary directory: failures are explained there."""
    kept = Path(tempfile.gettempdir()) / f"abp-load-logs-{time.strftime('%Y%m%dT%H%M%S')}"
    kept.mkdir()
    for log in [*work_dir.glob("*.log"), *work_dir.glob("*.csv")]:
        shutil.copy(log, kept / log.name)
    print(f"  logs and locust's CSV kept in {kept}", flush=True)


@contextlib.contextmanager
def functions(platform: Platform, sandbox: SandboxProcess) -> Iterator[dict[str, tuple[int, int]]]:
    """Every function of the mix in a gunicorn process of its own; (port, pid) by short name."""
    env = {**platform.env, **sandbox.settings, "STRIPE_WEBHOOK_SECRET": DEFAULT_WEBHOOK_SECRET,
           "SUPABASE_WEBHOOK_SECRET": SUPABASE_SECRET, "STORAGE_DIR": str(platform.work_dir / "storage"),
           "REPORT_CACHE_PREFIX": f"load-{os.getpid()}"}
    with contextlib.ExitStack() as stack:
        started = {name: stack.enter_context(function_process(entry, env, platform.work_dir / f"load-{name}.log"))
                   for name, entry in FUNCTIONS.items()}
        for function in started.values():
            wait_for_health(function)
        yield {name: (function.port, function.process.pid) for name, function in started.items()}


def _measure(platform: Platform, options: LoadOptions, plan: Path, pids: dict[str, int],
             sandbox: SandboxProcess) -> LoadResult:
    if options.warmup_s > 0:
        print(f"  warm-up: {options.warmup_s:.0f} s", flush=True)
        locust(plan, platform.work_dir / "warmup", options, options.warmup_s)
    sandbox.calls()  # the sandbox notes every call: drained so its memory stays flat
    with in_process(platform.env), _pg_counter() as pg_count:
        from shared.config import get_settings

        pool_size = get_settings().db_pool_size
        sampler = Sampler(pids, pg_count, platform.env["REDIS_URL"], options.sample_every_s)
        data_pids = _data_pids(platform)
        data_before = cpu_seconds(data_pids) if data_pids else float("nan")
        print(f"  measured: {options.users} users for {options.duration_s:.0f} s", flush=True)
        began = time.perf_counter()
        with sampler.running(lambda sample: _announce(sample, sandbox)) as samples:
            locust_cpu = locust(plan, platform.work_dir / "measured", options, options.duration_s)
        wall = time.perf_counter() - began
        data_cpu = cpu_seconds(data_pids) - data_before if data_pids else float("nan")
    routes, total = parse_stats_csv((platform.work_dir / "measured_stats.csv").read_text())
    failures = parse_failures_csv((platform.work_dir / "measured_failures.csv").read_text())
    server_cpu = sum(samples[-1].functions[n].cpu_s - samples[0].functions[n].cpu_s for n in pids)
    return LoadResult(options, routes, total, failures, wall, samples, server_cpu, data_cpu, locust_cpu, pool_size,
                      threads=(os.cpu_count() or 1) * 4)


def locust(plan: Path, prefix: Path, options: LoadOptions, run_time_s: float) -> float:
    """Run locust headless for `run_time_s`; the CPU seconds it used (it shares the machine with the servers)."""
    command = [str(Path(sys.executable).parent / "locust"), "-f", str(LOCUSTFILE), "--headless",
               "-u", str(options.users), "-r", str(options.spawn_rate), "--run-time", f"{run_time_s:.0f}s",
               "--csv", str(prefix), "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MIXED_LOAD_PLAN": str(plan)}
    with (prefix.parent / f"{prefix.name}-locust.log").open("ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        watched = psutil.Process(process.pid)
        cpu = 0.0
        while process.poll() is None:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = watched.cpu_times()
                cpu = times.user + times.system
            time.sleep(0.5)
    if process.returncode not in {0, 1}:  # 1: some requests failed, which the report counts
        raise RuntimeError(f"locust exited with {process.returncode}; see {prefix}-locust.log")
    return cpu


@contextlib.contextmanager
def _pg_counter() -> Iterator[Callable[[], int]]:
    """Client connections to PostgreSQL, on a connection of the owner kept for the run (not counted)."""
    from shared.db.pool import owner_pool
    from shared.db.session import Session

    pool = owner_pool()
    try:
        with pool.connection() as con:
            session = Session(con)
            yield lambda: int(session.fetch_value(PG_CONNECTIONS))
    finally:
        pool.close()


def _data_pids(platform: Platform) -> list[int]:
    """PostgreSQL's postmaster and Valkey, when they are the embedded ones (their CPU counts as server CPU)."""
    if "embedded" not in platform.servers:
        return []
    from shared.db.pool import owner_pool

    pool = owner_pool()
    try:
        with pool.connection() as con:
            data_directory = Path(str(con.run("SHOW data_directory")[0][0]))
    finally:
        pool.close()
    postmaster = int((data_directory / "postmaster.pid").read_text().split()[0])  # its first line is the pid
    valkey = int(redis.Redis.from_url(platform.env["REDIS_URL"]).info("server")["process_id"])
    return [postmaster, valkey]


def _announce(sample: Sample, sandbox: SandboxProcess) -> None:
    """Print a sample; drain the sandbox's notes of its calls, which it would otherwise keep for the whole run."""
    sandbox.calls()
    rss = sum(p.rss_mb for p in sample.functions.values())
    print(f"  {sample.at_s:6.0f} s: RSS {rss:,.0f} MB, PostgreSQL {sample.pg_connections}, Redis"
          f" {sample.redis_clients} clients, fds {sum(p.fds for p in sample.functions.values())}", flush=True)
