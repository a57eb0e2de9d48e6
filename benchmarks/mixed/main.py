"""`python -m benchmarks load` and `python -m benchmarks soak`: the options of each, the run, the report."""

from __future__ import annotations

from benchmarks.mixed.report import report_load, report_soak
from benchmarks.mixed.run import LoadOptions, run_mixed
from benchmarks.servers import Platform

LOAD_USERS = 300
SOAK_USERS = 100
WARMUP_S = 20.0


def load_options(command: str, *, users: int | None, load_s: float, soak_min: float) -> LoadOptions:
    """The load samples every 2 s over a minute; the soak every 30 s (a tenth of the run when shortened)."""
    if command == "load":
        chosen = users or LOAD_USERS
        return LoadOptions(chosen, spawn_rate=max(1.0, chosen / 10), duration_s=load_s, warmup_s=WARMUP_S,
                           sample_every_s=2.0)
    chosen = users or SOAK_USERS
    duration = soak_min * 60
    return LoadOptions(chosen, spawn_rate=max(1.0, chosen / 10), duration_s=duration, warmup_s=WARMUP_S,
                       sample_every_s=min(30.0, duration / 10))


def run_load_or_soak(command: str, platform: Platform, *, users: int | None, load_s: float, soak_min: float) -> bool:
    """Run the mixed load (or the soak) and record it; whether the soak found no growth (always True for load)."""
    options = load_options(command, users=users, load_s=load_s, soak_min=soak_min)
    print(f"{command}: {options.users} users, {options.duration_s:.0f} s measured", flush=True)
    result = run_mixed(platform, options)
    if command == "load":
        report_load(result)
        return True
    return report_soak(result)
