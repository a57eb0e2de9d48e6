"""`python -X importtime -c "import main; main.<entry_point>"`: what importing one function costs."""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
from dataclasses import dataclass

from benchmarks.servers import ROOT

LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


@dataclass(frozen=True)
class ImportCost:
    module: str
    self_ms: float
    cumulative_ms: float
    depth: int


@dataclass(frozen=True)
class ImportProfile:
    entry_point: str
    total_ms: float  # `main` plus the function module it imports on first attribute access
    offenders: list[ImportCost]
    failure: str | None = None


def profile_imports(entry_point: str, module: str, env: dict[str, str], *, runs: int = 3,
                    top: int = 10) -> ImportProfile:
    """Import the entry point `runs` times in fresh interpreters; keep the run with the median total."""
    costs: list[list[ImportCost]] = []
    for _ in range(runs):
        completed = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import main; main.{entry_point}"],
                                   cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            last = completed.stderr.strip().splitlines()[-1:] or ["(no output)"]
            return ImportProfile(entry_point, float("nan"), [], failure=last[0])
        costs.append(parse_importtime(completed.stderr))
    totals = [_total(run, module) for run in costs]
    chosen = costs[totals.index(statistics.median_low(totals))]
    roots = {"main", module}
    offenders = sorted((c for c in chosen if c.module not in roots), key=lambda c: c.cumulative_ms, reverse=True)
    return ImportProfile(entry_point, _total(chosen, module), offenders[:top])


def parse_importtime(stderr: str) -> list[ImportCost]:
    """The `-X importtime` lines, in the order Python printed them (children before parents)."""
    costs = []
    for line in stderr.splitlines():
        match = LINE.match(line)
        if match:
            self_us, cumulative_us, indent, name = match.groups()
            costs.append(ImportCost(name, int(self_us) / 1000, int(cumulative_us) / 1000, (len(indent) - 1) // 2))
    return costs


def _total(costs: list[ImportCost], module: str) -> float:
    return sum(next((c.cumulative_ms for c in costs if c.module == name), 0.0) for name in ("main", module))
