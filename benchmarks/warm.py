"""Warm latency: one organizations-api instance under gunicorn, GET one organization vs GET /health."""

from __future__ import annotations

import os
from dataclasses import dataclass

from benchmarks.load import python_load
from benchmarks.results import run_facts, table, update_section
from benchmarks.servers import Platform, function_process, get_status, wait_for_health
from benchmarks.stats import LoadSummary
from benchmarks.wrk import wrk_load, wrk_path

ENTRY_POINT = "organizations_api"


@dataclass(frozen=True)
class Target:
    label: str
    path: str
    headers: dict[str, str]


@dataclass(frozen=True)
class WarmResult:
    summaries: list[LoadSummary]
    organization_id: int
    threads: int
    warmup_s: float

    @property
    def ratio(self) -> float:
        """Median of the organization read over the median of /health."""
        org, health = self.summaries
        return org.p50_ms / health.p50_ms if health.p50_ms else float("nan")


def choose_generator(requested: str) -> str:
    """`auto` means wrk when it is installed, else the Python client."""
    if requested == "auto":
        return "wrk" if wrk_path() else "python"
    if requested == "wrk" and not wrk_path():
        raise SystemExit("--generator wrk: wrk is not installed")
    return requested


def run_warm(platform: Platform, *, generator: str, connections: int, duration_s: float,
             warmup_s: float) -> WarmResult:
    """Start the function, warm it up, then load each target for the same duration, back to back."""
    targets = [
        Target("GET /api/v1/organizations/{id} (Admin)", f"/api/v1/organizations/{platform.organization_id}",
               {"Authorization": f"Bearer {platform.admin_token}"}),
        Target("GET /health", "/health", {}),
    ]
    with function_process(ENTRY_POINT, platform.env, platform.work_dir / "warm.log") as function:
        wait_for_health(function)
        _check_answers(function.port, targets)
        base = f"http://127.0.0.1:{function.port}"
        for target in targets:
            python_load(base + target.path, target.headers, label="warm-up", connections=connections,
                        duration_s=warmup_s)
        summaries = [_measure(base, target, generator, connections, duration_s) for target in targets]
    threads = int(platform.env.get("THREADS", (os.cpu_count() or 1) * 4))
    return WarmResult(summaries, platform.organization_id, threads, warmup_s)


def _check_answers(port: int, targets: list[Target]) -> None:
    for target in targets:
        status = get_status(port, target.path, target.headers)
        if status != 200:
            raise RuntimeError(f"{target.label} answered {status}, expected 200; nothing to measure")


def _measure(base: str, target: Target, generator: str, connections: int, duration_s: float) -> LoadSummary:
    print(f"  {target.label}: {connections} connections for {duration_s:g} s ({generator})", flush=True)
    if generator == "wrk":
        return wrk_load(base + target.path, target.headers, label=target.label, connections=connections,
                        duration_s=duration_s)
    return python_load(base + target.path, target.headers, label=target.label, connections=connections,
                       duration_s=duration_s)


def report_warm(result: WarmResult, platform: Platform, generator: str) -> str:
    """Print the figures and record them in RESULTS.md (one section per generator); return the section."""
    first = result.summaries[0]
    lines = [
        f"## Warm latency ({generator})",
        "",
        *run_facts(_generator_text(generator)),
        f"- server: `functions-framework --target={ENTRY_POINT} --source=main.py` under gunicorn, 1 worker x"
        f" {result.threads} threads (functions-framework defaults), DB pool size {_pool_size(platform)},"
        f" {platform.servers}, rate limits {platform.env['RATE_LIMIT_USER_PER_MINUTE']}/min (so none denies);"
        " load generator on the same machine",
        f"- load: {first.connections} keep-alive connections, {first.duration_s:.0f} s per endpoint, back to back,"
        f" after {result.warmup_s:g} s of warm-up per endpoint; organization {result.organization_id} read by the"
        " demo Admin",
        "",
        table(["endpoint", "req/s", "median ms", "p95 ms", "p99 ms", "errors", "requests"],
              [_row(s) for s in result.summaries]),
        "",
        f"Median of the organization read / median of /health: **{result.ratio:.2f}x**",
    ]
    section = "\n".join(lines)
    print(section)
    update_section(f"warm-{generator}", section)
    return section


def _pool_size(platform: Platform) -> str:
    from shared.config import Settings

    return platform.env.get("DB_POOL_SIZE") or str(Settings.model_fields["db_pool_size"].default)


def _generator_text(generator: str) -> str:
    if generator == "wrk":
        return f"wrk ({wrk_path()}), threads = min(connections, cores), latency from its histogram"
    return "python (benchmarks/load.py: one thread and one http.client keep-alive connection per connection)"


def _row(summary: LoadSummary) -> list[str]:
    return [summary.label, f"{summary.requests_per_s:.0f}", f"{summary.p50_ms:.2f}", f"{summary.p95_ms:.2f}",
            f"{summary.p99_ms:.2f}", str(summary.errors), str(summary.requests)]
