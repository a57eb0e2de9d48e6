"""`python -m benchmarks.sync_all [--count 10000]`: sync-all of N advertisers against the rate-limited sandbox.

A fresh database on the PostgreSQL of --server-url (default the machine's, 127.0.0.1:5432 db `test`;
`--embedded` starts one), migrated, with N advertisers inserted by SQL; an embedded Valkey for the
Everflow budget; the Everflow sandbox in this process with Everflow's rate limit (contract §1.4,
"mid": 900 requests per 30-s window, i.e. 30 r/s, 429 beyond it). The sync runs as the Cloud Run job
would: `python -m functions.sync_all --kind advertiser` with EVERFLOW_REQUESTS_PER_SECOND just under
the limit. It is SIGKILLed part-way, then rerun with the same `--job-id`. Reported: the active time
against the rate-limit bound (requests / rate), the 429s received, and that Everflow ends up with
exactly N advertisers, each synced and counted once. Only loopback connections are made.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pg8000.native

from benchmarks.results import RESULTS, run_facts, table, update_section
from functions.local.embedded import embedded_postgres, embedded_valkey, sandbox_settings
from migrations import runner
from shared.adapters.everflow.client import EverflowClient
from shared.adapters.everflow.sandbox import SandboxServer, start_sandbox
from shared.db.pool import Pool
from shared.db.url import ConnectionParams, database_url, parse_database_url

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
SECTION = "sync-all"


@dataclass(frozen=True)
class Run:
    seconds: float
    killed: bool
    log: str  # the CLI's stderr: progress lines and the summary


@dataclass(frozen=True)
class Figures:
    count: int
    first: Run
    second: Run
    processed_at_kill: int
    creates_at_kill: int
    calls: dict[str, object]
    objects: int
    distinct_labels: int
    synced: int
    job: dict[str, object]
    search_ms_at_end: float


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sync_all", description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=_counts, default=[10_000],
                        help="advertisers to sync; sizes comma-separated, each a run of its own (default 10000)")
    parser.add_argument("--rate-limit", type=int, default=900, help="sandbox: requests per window (default 900)")
    parser.add_argument("--window", type=float, default=30.0, help="sandbox: window seconds (default 30)")
    parser.add_argument("--rps", type=float, default=29.0, help="client budget, requests/s (default 29)")
    parser.add_argument("--workers", type=int, default=4, help="entities synced at once (default 4)")
    parser.add_argument("--kill-at", type=float, default=0.4, help="SIGKILL at this fraction done (default 0.4)")
    parser.add_argument("--server-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_SERVER))
    parser.add_argument("--embedded", action="store_true", help="start an embedded PostgreSQL instead")
    parser.add_argument("--results", type=Path, default=RESULTS, help="the Markdown file to record in")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="abp-bench-sync-")))
        server = stack.enter_context(embedded_postgres(work / "pg")) if args.embedded else args.server_url
        runs = [one_size(args, server, count, work / str(count)) for count in args.count]
    body = report(args, runs)
    print(body)
    update_section(SECTION, body, args.results)
    print(f"recorded in {args.results}")
    return 0 if all(f.objects == f.count == f.synced for f in runs) else 1


def one_size(args: argparse.Namespace, server: str, count: int, work: Path) -> Figures:
    """A fresh database, Valkey and sandbox; N advertisers; the killed and the resumed run."""
    work.mkdir()
    with contextlib.ExitStack() as stack:
        params = stack.enter_context(fresh_database(server))
        redis_url = stack.enter_context(embedded_valkey(work / "valkey"))
        sandbox = stack.enter_context(start_sandbox())
        print(f"seeding {count} advertisers into {params.database}", flush=True)
        seed(params, count)
        sandbox.faults.set(rate_limit=args.rate_limit, rate_window_s=args.window)
        return run(args, count, params, redis_url, sandbox=sandbox, work=work)


def _counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive integers")
    return counts


def run(args: argparse.Namespace, count: int, params: ConnectionParams, redis_url: str, *, sandbox: SandboxServer,
        work: Path) -> Figures:
    env = child_env(params, redis_url, sandbox, args.rps)
    first = cli(env, ["--kind", "advertiser", "--workers", str(args.workers)], work / "first.log",
                kill_at=int(count * args.kill_at), params=params)
    job_id, processed_at_kill = job_progress(params)
    creates_at_kill = int(_endpoint(sandbox.calls(), "POST /v1/networks/advertisers"))
    second = cli(env, ["--kind", "advertiser", "--job-id", str(job_id), "--workers", str(args.workers)],
                 work / "second.log", kill_at=None, params=params)
    calls = sandbox.calls()
    objects = sandbox.objects("advertisers")
    labels = {label for record in objects for label in record.get("labels", []) if label.startswith("abp:adv")}
    return Figures(count, first, second, processed_at_kill, creates_at_kill, calls, len(objects), len(labels),
                   synced_count(params), job_row(params, job_id), search_ms(sandbox))


def cli(env: dict[str, str], arguments: list[str], log_path: Path, *, kill_at: int | None,
        params: ConnectionParams) -> Run:
    """Run the sync-all command; with `kill_at`, SIGKILL it once the job has counted that many entities."""
    started = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "functions.sync_all", *arguments], cwd=ROOT, env=env,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        killed = False
        while process.poll() is None:
            if kill_at is not None and _processed(params) >= kill_at:
                process.send_signal(signal.SIGKILL)
                process.wait()
                killed = True
                break
            time.sleep(0.2)
    seconds = time.perf_counter() - started
    return Run(seconds, killed, log_path.read_text(errors="replace"))


def child_env(params: ConnectionParams, redis_url: str, sandbox: SandboxServer, rps: float) -> dict[str, str]:
    return {**os.environ, **sandbox_settings(sandbox), "PYTHONPATH": str(ROOT), "APP_ENV": "development",
            "DATABASE_URL": database_url(params), "REDIS_URL": redis_url, "LOG_LEVEL": "WARNING",
            "EVERFLOW_REQUESTS_PER_SECOND": f"{rps:g}"}


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[ConnectionParams]:
    """A new, migrated database on the server (dropped afterwards)."""
    server = parse_database_url(server_url)
    params = server.with_database(f"abp_bench_sync_{uuid.uuid4().hex[:8]}")
    _admin(server, f'CREATE DATABASE "{params.database}"')
    try:
        pool = Pool(params, size=1, statement_timeout_ms=600_000, connect_timeout_s=10)
        try:
            runner.up(pool)
        finally:
            pool.close()
        yield params
    finally:
        _admin(server, f'DROP DATABASE IF EXISTS "{params.database}" WITH (FORCE)')


def seed(params: ConnectionParams, count: int) -> None:
    _query(params, "INSERT INTO organizations (name, type) VALUES ('Bench Brands', 'advertiser')")
    _query(params, "INSERT INTO advertisers (organization_id, name, contact_email, status)"
                   " SELECT (SELECT max(organization_id) FROM organizations), 'Brand ' || n,"
                   " 'brand' || n || '@bench.example', 'active' FROM generate_series(1, :count) n", count=count)


def job_progress(params: ConnectionParams) -> tuple[int, int]:
    rows = _query(params, "SELECT sync_job_id, processed FROM sync_jobs ORDER BY sync_job_id DESC LIMIT 1")
    return int(rows[0][0]), int(rows[0][1])


def job_row(params: ConnectionParams, job_id: int) -> dict[str, object]:
    names = ("status", "total", "processed", "succeeded", "failed")
    rows = _query(params, f"SELECT {', '.join(names)} FROM sync_jobs WHERE sync_job_id = :id", id=job_id)
    return dict(zip(names, rows[0], strict=True))


def synced_count(params: ConnectionParams) -> int:
    return int(_query(params, "SELECT count(*) FROM advertiser_provider_mappings WHERE sync_status = 'synced'")[0][0])


def search_ms(sandbox: SandboxServer) -> float:
    """How long the sandbox takes for one label search once it holds every advertiser (no budget, no limit)."""
    sandbox.faults.reset()
    client = EverflowClient(sandbox.api_base_url, sandbox.api_key)
    started = time.perf_counter()
    for _ in range(5):
        client.search_advertisers(filters={"labels": ["abp:advertiser:0"]})
    client.close()
    return (time.perf_counter() - started) / 5 * 1000


def _processed(params: ConnectionParams) -> int:
    rows = _query(params, "SELECT coalesce(max(processed), 0) FROM sync_jobs")
    return int(rows[0][0])


def _endpoint(calls: dict[str, object], name: str) -> object:
    by_endpoint = calls["by_endpoint"]
    assert isinstance(by_endpoint, dict)
    return by_endpoint.get(name, 0)


def _query(params: ConnectionParams, sql: str, **values: object) -> list[list[object]]:
    """As the login role (the benchmark's owner role bypasses row-level security)."""
    con = pg8000.native.Connection(params.user, host=params.host, port=params.port, database=params.database,
                                   password=params.password, unix_sock=params.unix_sock)
    try:
        return con.run(sql, **values) or []
    finally:
        con.close()


def _admin(server: ConnectionParams, sql: str) -> None:
    _query(server, sql)


def report(args: argparse.Namespace, runs: list[Figures]) -> str:
    columns = [_column(args, f) for f in runs]
    rows = [[label, *(column[index] for column in columns)] for index, label in enumerate(ROWS)]
    last = [line for line in runs[-1].second.log.splitlines() if line.strip()][-2:]
    return "\n".join([
        "## Sync-all to Everflow (rate-limited sandbox, kill and resume)", "", *run_facts(),
        f"- setup: sandbox `rate_limit={args.rate_limit}`, `rate_window_s={args.window:g}` (Everflow's 30 r/s in"
        f" 30-s windows, contract §1.4); client `EVERFLOW_REQUESTS_PER_SECOND={args.rps:g}` (Redis token bucket,"
        f" burst 1 s); `--workers {args.workers}`; SIGKILL at {args.kill_at:.0%} counted, then a rerun with"
        " `--job-id`; a fresh database, Valkey and sandbox per size", "",
        table(["figure", *(f"{f.count:,} advertisers" for f in runs)], rows), "",
        f"Last lines of the resumed run's stderr ({runs[-1].count:,}):", "", "```", *last, "```",
    ])


ROWS = [
    "Everflow requests (all /v1 calls)", "per advertiser (a create; a label search only on a retry)",
    "rate-limit bound (requests / 30 r/s)", "budget bound (requests / client rate)",
    "active time (run 1 until SIGKILL + run 2)", "**active time vs rate-limit bound**", "429s received",
    "answers by status", "killed at: job counted / creates sent", "Everflow advertisers at the end (distinct labels)",
    "mappings synced", "job at the end", "one sandbox label search at the end (copies every object held)",
]


def _column(args: argparse.Namespace, f: Figures) -> list[str]:
    total_calls = int(str(f.calls["total"]))
    active = f.first.seconds + f.second.seconds
    bound = total_calls / (args.rate_limit / args.window)
    by_status = f.calls["by_status"]
    assert isinstance(by_status, dict)
    return [
        f"{total_calls:,}", f"{total_calls / f.count:.2f}", f"{bound:,.0f} s", f"{total_calls / args.rps:,.0f} s",
        f"{active:,.0f} s ({f.first.seconds:,.0f} + {f.second.seconds:,.0f})",
        f"**{(active / bound - 1) * 100:+.1f} %**",
        str(by_status.get("429", 0)), ", ".join(f"{k}: {v:,}" for k, v in by_status.items()),
        f"{f.processed_at_kill:,} / {f.creates_at_kill:,}", f"{f.objects:,} ({f.distinct_labels:,})", f"{f.synced:,}",
        ", ".join(f"{k} {v}" for k, v in f.job.items()), f"{f.search_ms_at_end:.0f} ms",
    ]


if __name__ == "__main__":
    sys.exit(main())
