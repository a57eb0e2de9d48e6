"""`python -X importtime -c "import main; main.<entry_point>"`: what importing one function costs."""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
from dataclasses import dataclass, field

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
    total_ms: float  # `main` and everything the entry point's first access imports
    offenders: list[ImportCost]
    by_package: list[tuple[str, float]] = field(default_factory=list)  # self ms summed per top-level package
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
    totals = [_total(run) for run in costs]
    chosen = costs[totals.index(statistics.median_low(totals))]
    offenders = sorted((c for c in chosen if c.module not in {"main", module}),
                       key=lambda c: c.cumulative_ms, reverse=True)
    return ImportProfile(entry_point, _total(chosen), offenders[:top], _by_package(chosen))


def parse_importtime(stderr: str) -> list[ImportCost]:
    """The `-X importtime` lines, in the order Python printed them (children before parents)."""
    costs = []
    for line in stderr.splitlines():
        match = LINE.match(line)
        if match:
            self_us, cumulative_us, indent, name = match.groups()
            costs.append(ImportCost(name, int(self_us) / 1000, int(cumulative_us) / 1000, (len(indent) - 1) // 2))
    return costs


def _total(costs: list[ImportCost]) -> float:
    """Every top-level import from `main` on: interpreter start-up comes before it.

    `main` loads the function module with `importlib.import_module`, which -X importtime does not
    itemise, so that module's own line is missing and its imports show up at the top level.
    """
    return sum(c.cumulative_ms for c in _since_main(costs) if c.depth == 0)


def _by_package(costs: list[ImportCost], top: int = 8) -> list[tuple[str, float]]:
    """Self time per top-level package, from `main` on: where the import time goes without double counting."""
    totals: dict[str, float] = {}
    for cost in _since_main(costs):
        package = cost.module.split(".")[0]
        totals[package] = totals.get(package, 0.0) + cost.self_ms
    return sorted(totals.items(), key=lambda item: item[1], reverse=True)[:top]


def _since_main(costs: list[ImportCost]) -> list[ImportCost]:
    """The lines from `import main` on; its children are printed before its own line, at depth > 0."""
    names = [c.module for c in costs]
    first = names.index("main") if "main" in names else 0
    while first > 0 and costs[first - 1].depth > 0:
        first -= 1
    return costs[first:]
