"""`python -m benchmarks [cold-start|warm|auth|lists|dashboards|billing-usage|intelligence-search|load|soak|all]`
(`make bench`): measure, record.

`all` is cold-start and warm; `auth` (issue 3), `lists` (issue 4, seeds 100k rows per table) and `dashboards`
(issue 6: 1,000 users across 50 organizations against a delayed Everflow sandbox) run on request, and so
do `load` and `soak` (issue 10: a mixed locust load against one gunicorn process per function). Figures
go to benchmarks/RESULTS.md.

With no DATABASE_URL / REDIS_URL an embedded PostgreSQL and Valkey are started in a temporary
directory; either way the database is migrated and seeded with the demo data. Ctrl-C or SIGTERM
stops every process started here.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from types import FrameType

from benchmarks.auth_overhead import report_auth, run_auth
from benchmarks.billing_usage import report_billing_usage, run_billing_usage
from benchmarks.cold_start import report_cold_starts, run_cold_starts
from benchmarks.dashboard_report import report_dashboards
from benchmarks.dashboards import Options, run_dashboards
from benchmarks.intelligence_search import report_intelligence_search, run_intelligence_search
from benchmarks.list_latency import report_lists, run_lists
from benchmarks.mixed.main import run_load_or_soak
from benchmarks.servers import Platform, platform
from benchmarks.warm import choose_generator, report_warm, run_warm


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description="Cold-start and warm-latency benchmarks of the HTTP functions.")
    parser.add_argument("command", nargs="?",
                        choices=["cold-start", "warm", "auth", "lists", "dashboards", "billing-usage",
                                 "intelligence-search", "load", "soak", "all"],
                        default="all")
    parser.add_argument("--runs", type=int, default=5, help="cold starts per function (default 5)")
    parser.add_argument("--connections", type=int, default=8, help="warm: concurrent connections (default 8)")
    parser.add_argument("--duration", type=float, default=15.0, help="warm: seconds per endpoint (default 15)")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm: warm-up seconds per endpoint (default 3)")
    parser.add_argument("--generator", choices=["auto", "wrk", "python"], default="auto",
                        help="warm: load generator; auto = wrk when installed, else the Python client")
    parser.add_argument("--iterations", type=int, default=20_000,
                        help="auth: timed requests per warm-cache scenario; cold ones get a tenth (default 20000)")
    parser.add_argument("--requests", type=int, default=400, help="lists: requests per route and size (default 400)")
    parser.add_argument("--users", type=int, default=1_000, help="dashboards: simulated users (default 1000)")
    parser.add_argument("--organizations", type=int, default=50,
                        help="dashboards: organizations, 30:15:4:1 advertiser/affiliate/agency/platform (default 50)")
    parser.add_argument("--concurrency", type=_counts, default=(4, 8),
                        help="dashboards: connections of each traffic phase, comma-separated (default 4,8)")
    parser.add_argument("--delay-ms", type=int, default=80,
                        help="dashboards: delay the sandbox adds to every Everflow call (default 80)")
    parser.add_argument("--cold-organizations", type=int, default=None,
                        help="dashboards: organizations loaded in the cold phase (default all)")
    parser.add_argument("--generating-cold", action="store_true",
                        help="dashboards: also the cold phase with the sandbox generating traffic on demand (~2 min)")
    parser.add_argument("--billing-organizations", type=int, default=10_000,
                        help="billing-usage: advertiser organizations billed by the daily job (default 10000)")
    parser.add_argument("--publishers", type=int, default=100_000,
                        help="intelligence-search: generated publishers to search (default 100000)")
    parser.add_argument("--load-users", type=int, default=None,
                        help="load/soak: simulated locust users (default 300 for load, 100 for soak)")
    parser.add_argument("--load-seconds", type=float, default=60.0, help="load: measured seconds (default 60)")
    parser.add_argument("--soak-minutes", type=float, default=30.0, help="soak: minutes (default 30)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.connections < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--runs and --connections must be >= 1, --duration > 0, --warmup >= 0")
    if args.iterations < 10 or args.requests < 1:
        parser.error("--iterations must be >= 10, --requests >= 1")
    if args.organizations < 4 or args.users < args.organizations or args.delay_ms < 0:
        parser.error("--organizations must be >= 4, --users >= --organizations, --delay-ms >= 0")
    if (args.load_users is not None and args.load_users < 1) or args.load_seconds <= 0 or args.soak_minutes <= 0:
        parser.error("--load-users must be >= 1, --load-seconds and --soak-minutes > 0")
    return args


def _counts(text: str) -> tuple[int, ...]:
    counts = tuple(int(part) for part in text.split(",") if part.strip())
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError("connections must be positive integers")
    return counts


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # unwinds like Ctrl-C, so everything is stopped
    generator = choose_generator(args.generator)
    started = time.perf_counter()
    held = True  # the soak's verdict: False fails the command
    try:
        with platform() as bench:
            print(f"servers: {bench.servers}; database migrated and seeded", flush=True)
            if args.command in {"cold-start", "all"}:
                print(f"cold start: {args.runs} runs per HTTP function", flush=True)
                report_cold_starts(run_cold_starts(bench, runs=args.runs), runs=args.runs)
            if args.command in {"warm", "all"}:
                print(f"warm: organizations-api, generator {generator}", flush=True)
                result = run_warm(bench, generator=generator, connections=args.connections,
                                  duration_s=args.duration, warmup_s=args.warmup)
                report_warm(result, bench, generator)
            if args.command == "auth":
                cold = args.iterations // 10
                print(f"auth: {args.iterations} warm / {cold} cold requests per scenario, in-process", flush=True)
                report_auth(run_auth(bench, warm_iterations=args.iterations, cold_iterations=cold), bench)
            if args.command == "lists":
                print(f"lists: 1k then 100k rows per table, {args.requests} requests per route and size", flush=True)
                report_lists(run_lists(bench, requests=args.requests), bench)
            if args.command == "dashboards":
                options = Options(users=args.users, organizations=args.organizations, concurrency=args.concurrency,
                                  delay_ms=args.delay_ms, cold_organizations=args.cold_organizations,
                                  generating_cold=args.generating_cold)
                print(f"dashboards: {options.users} users, {options.organizations} organizations, connections"
                      f" {', '.join(map(str, options.concurrency))}, Everflow delay {options.delay_ms} ms", flush=True)
                report_dashboards(run_dashboards(bench, options), bench)
            _run_data_benchmarks(args, bench)
            if args.command in {"load", "soak"}:
                held = run_load_or_soak(args.command, bench, users=args.load_users, load_s=args.load_seconds,
                                        soak_min=args.soak_minutes)
    except KeyboardInterrupt:
        print("interrupted; every process started here was stopped", file=sys.stderr)
        return 130
    print(f"done in {time.perf_counter() - started:.0f} s; recorded in benchmarks/RESULTS.md")
    return 0 if held else 1


def _run_data_benchmarks(args: argparse.Namespace, bench: Platform) -> None:
    """The benchmarks that arrange large data sets first (billing-usage, intelligence-search)."""
    if args.command == "billing-usage":
        print(f"billing-usage: the daily usage job for {args.billing_organizations} organizations", flush=True)
        report_billing_usage(run_billing_usage(bench, organizations=args.billing_organizations))
    if args.command == "intelligence-search":
        print(f"intelligence-search: {args.publishers} publishers, {args.requests} requests per kind", flush=True)
        report_intelligence_search(run_intelligence_search(bench, publishers=args.publishers, requests=args.requests))


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
