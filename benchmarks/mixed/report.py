"""The mixed load's and the soak's sections of benchmarks/RESULTS.md."""

from __future__ import annotations

import math

from benchmarks.mixed.figures import Bound, Growth, error_rate, growth, passed
from benchmarks.mixed.run import FUNCTIONS, LoadResult
from benchmarks.mixed.sampling import Sample
from benchmarks.results import run_facts, table, update_section
from shared.services.everflow_reports import PARALLEL_REPORTS

GENERATOR = "locust 2.47.0 (FastHttpUser, headless, in a subprocess on the same 2 cores as the servers)"
SEED_CLAIMS = {"users": "1,000 concurrent", "average": "150 ms", "p95": "300 ms", "p99": "500 ms", "rps": "2,500",
               "errors": "0.01 %"}
RSS_TOLERANCE = 0.10  # relative growth of a process's RSS allowed between the middle and the last third
RSS_SLACK_MB = 5.0
FD_SLACK = 8
SOAK_TABLE_EVERY_S = 300.0
# redis-py's pool has no maximum: a process holds at most one connection per thread that uses Redis at
# once, its gunicorn threads and, in the dashboard-api, the threads that fetch reports side by side.
REPORT_THREADS = PARALLEL_REPORTS * 4


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:,.0f}"


def route_rows(result: LoadResult) -> list[list[str]]:
    return [[f"{r.method} {r.name.split(' ', 1)[1] if ' ' in r.name else r.name}", f"{r.requests:,}",
             f"{r.requests_per_s:,.1f}", _ms(r.p50_ms), _ms(r.p95_ms), _ms(r.p99_ms), f"{r.failures:,}"]
            for r in sorted(result.routes, key=lambda r: -r.requests)]


def memory_rows(samples: list[Sample]) -> list[list[str]]:
    """RSS (master and workers) of each function process: at the start, the peak, at the end."""
    rows = []
    for name in FUNCTIONS:
        series = [s.functions[name].rss_mb for s in samples]
        rows.append([f"{FUNCTIONS[name]} ({name})", f"{series[0]:,.0f}", f"{max(series):,.0f}", f"{series[-1]:,.0f}"])
    return rows


def claims_rows(result: LoadResult) -> list[list[str]]:
    total, wall = result.total, result.options.duration_s
    rps = total.requests / wall
    per_core = total.requests / result.server_cpu_s if result.server_cpu_s else float("nan")
    with_data = total.requests / (result.server_cpu_s + result.data_cpu_s)
    return [
        ["concurrent users", SEED_CLAIMS["users"], f"{result.options.users:,} (think time 1-5 s)"],
        ["average latency", SEED_CLAIMS["average"], f"{total.average_ms:,.0f} ms"],
        ["p95", SEED_CLAIMS["p95"], f"{total.p95_ms:,.0f} ms"],
        ["p99", SEED_CLAIMS["p99"], f"{total.p99_ms:,.0f} ms"],
        ["requests/s", f"{SEED_CLAIMS['rps']} (three pods)", f"{rps:,.1f} (one machine, 2 cores shared with locust)"],
        ["requests per CPU-second of the functions", "-",
         f"{per_core:,.0f} ({with_data:,.0f} counting PostgreSQL and Valkey too)"],
        ["error rate", SEED_CLAIMS["errors"], f"{error_rate(total):.3%} ({total.failures:,} of {total.requests:,})"],
    ]


def _peak(samples: list[Sample], attribute: str) -> int:
    return max(int(getattr(s, attribute)) for s in samples)


def report_load(result: LoadResult) -> str:
    """Print and record "## Mixed load (make load)"."""
    total, samples = result.total, result.samples
    body = "\n".join([
        "## Mixed load (make load)", "",
        *run_facts(GENERATOR),
        f"- mix: {_mix_text()}",
        f"- {result.options.users} simulated users (spawned {result.options.spawn_rate:g}/s) drawn from"
        f" {result.options.directory_users:,} users of {result.options.organizations} organizations (all roles);"
        f" {result.options.warmup_s:.0f} s warm-up (not measured), then {result.options.duration_s:.0f} s measured",
        f"- servers: one functions-framework/gunicorn process per function ({', '.join(FUNCTIONS.values())}),"
        f" 1 worker x {result.threads} threads each, as production runs them; Everflow: the sandbox, 80 ms per call",
        f"- CPU over the measured run: functions {result.server_cpu_s:,.0f} s, PostgreSQL + Valkey"
        f" {result.data_cpu_s:,.0f} s, locust {result.locust_cpu_s:,.0f} s, of {2 * result.wall_s:,.0f} core-seconds",
        "", "Against the seed document's load claims (theirs: three pods; ours: this 2-core machine, locust included):",
        "", table(["", "seed document", "this run"], claims_rows(result)), "",
        f"Per route ({total.requests:,} requests, {total.requests / result.options.duration_s:,.1f}/s;"
        " latency in ms, locust's rounded percentiles):", "",
        table(["route", "count", "req/s", "median", "p95", "p99", "failures"], route_rows(result)), "",
        *_failure_lines(result), "",
        "Memory (RSS of gunicorn master + worker, MB, sampled with psutil):", "",
        table(["function", "start", "peak", "end"], memory_rows(samples)), "",
        f"PostgreSQL client connections (pg_stat_activity): peak {_peak(samples, 'pg_connections')}, end"
        f" {samples[-1].pg_connections} (pools allow {result.pool_size} per process); Redis connected clients: peak"
        f" {_peak(samples, 'redis_clients')}, end {samples[-1].redis_clients}.",
    ])
    print(body, flush=True)
    update_section("mixed-load", body)
    return body


def _failure_lines(result: LoadResult) -> list[str]:
    if not result.failures:
        return ["No failure: every response was a 2xx."]
    return ["Failures (locust's failure list):", "",
            table(["route", "error", "count"], [[f.name, f.error.replace("|", "/"), f"{f.occurrences:,}"]
                                                for f in sorted(result.failures, key=lambda f: -f.occurrences)])]


def _mix_text() -> str:
    return ("advertiser users 30 : affiliate users 15 : agency/platform users 5 : webhooks 2; per user, the"
            " dashboard (five requests) 4, lists 2-4, gets 2-3, QR 1-2, creates (campaigns, tracking links) 1 each;"
            " Stripe events 3 (1 in 10 a redelivery), Supabase new-user 1 (see benchmarks/locustfile.py)")


def soak_verdict(result: LoadResult) -> tuple[list[Growth], list[Bound]]:
    """Growth of every process's RSS and descriptors, and connection counts against the pools' maxima.

    The last sample is taken after locust stopped (its connections closed): the verdict leaves it out.
    """
    samples = result.samples[:-1]
    growths = []
    for name in FUNCTIONS:
        growths.append(growth(f"{name} RSS (MB)", [s.functions[name].rss_mb for s in samples],
                              tolerance=RSS_TOLERANCE, slack=RSS_SLACK_MB))
        growths.append(growth(f"{name} fds", [s.functions[name].fds for s in samples], tolerance=0.0, slack=FD_SLACK))
    processes = len(FUNCTIONS)
    bounds = [Bound("PostgreSQL connections", _peak(samples, "pg_connections"), processes * result.pool_size),
              Bound("Redis clients", _peak(samples, "redis_clients"), processes * result.threads + REPORT_THREADS)]
    return growths, bounds


def report_soak(result: LoadResult) -> bool:
    """Print and record "## Soak (make soak)"; whether it passed."""
    growths, bounds = soak_verdict(result)
    ok = passed(growths, bounds)
    body = "\n".join([
        "## Soak (make soak)", "",
        *run_facts(GENERATOR),
        f"- the mixed load of `make load` ({_mix_text()}), {result.options.users} users for"
        f" {result.options.duration_s / 60:.0f} min, sampled every {result.options.sample_every_s:.0f} s;"
        " other work may share the machine (see the load average)",
        f"- {result.total.requests:,} requests, {result.total.requests / result.options.duration_s:,.1f}/s,"
        f" error rate {error_rate(result.total):.3%}; p50/p95/p99 {_ms(result.total.p50_ms)} /"
        f" {_ms(result.total.p95_ms)} / {_ms(result.total.p99_ms)} ms",
        f"- verdict: **{'no growth' if ok else 'GROWTH or unbounded connections'}** (median of the last third of the"
        f" samples taken under load against the middle third: RSS within {RSS_TOLERANCE:.0%} + {RSS_SLACK_MB:g} MB,"
        f" descriptors within {FD_SLACK}; PostgreSQL connections at most {result.pool_size} per process,"
        f" Redis clients at most {result.threads} (threads) per process and {REPORT_THREADS} report threads)",
        "", table(["minute", "RSS total (MB)", "PostgreSQL", "Redis clients", "fds"], soak_rows(result.samples)), "",
        *[f"- {g.text()}" for g in growths], *[f"- {b.text()}" for b in bounds],
    ])
    print(body, flush=True)
    update_section("soak", body)
    return ok


def soak_rows(samples: list[Sample]) -> list[list[str]]:
    """One row about every 5 minutes, and the last sample."""
    rows, next_at = [], 0.0
    for index, sample in enumerate(samples):
        if sample.at_s >= next_at or index == len(samples) - 1:
            rows.append([f"{sample.at_s / 60:.1f}", f"{sum(p.rss_mb for p in sample.functions.values()):,.0f}",
                         str(sample.pg_connections), str(sample.redis_clients),
                         str(sum(p.fds for p in sample.functions.values()))])
            next_at = sample.at_s + SOAK_TABLE_EVERY_S
    return rows
