"""The Everflow sandbox in a process of its own, for the dashboards benchmark: delayed, and every call timed.

In the benchmark's own process the sandbox's report computation would hold the GIL while the client
threads time responses. Here it runs apart (`python -m benchmarks.dashboard_sandbox DELAY_MS [SNAPSHOT
[AGGREGATES]]`), adds DELAY_MS to every `/v1` call (the round trip to api.eflow.team it stands in for),
and notes each call's endpoint, start and end on the monotonic clock, which every process of the machine
shares, so the parent can tell the time a response spent waiting for Everflow from its own. It runs at nice 10:
Everflow's computing happens on Everflow's machines, so here it takes the CPU the measured side leaves.

The sandbox generates each (offer, affiliate) pair's traffic of a day when a report first asks for it
(~0.1 ms per pair and day, memoised up to 65,536 of them): a network-wide 30-day report over 1,500
pairs costs it seconds, where Everflow reads stored daily aggregates. With AGGREGATES (a file `prime`
wrote) the child answers from those precomputed days first, so a report costs what summing them costs.

Protocol: the child prints its settings (EVERFLOW_* environment) as one JSON line, then answers each
line on stdin: `calls` (every call noted since the last `calls`, as JSON), `save PATH` (the stored
objects, for a later child to start from), `prime DAYS PATH` (every pair's daily stats of the last DAYS
days up to tomorrow, and hourly ones of the last 3, written to PATH). Closing stdin stops it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.servers import ROOT, stop_process_group

REPORTING = "/v1/networks/reporting/"
HOURLY_DAYS = 3
# Everflow computes on its own machines, not on ours: the sandbox gets the CPU the measured side leaves.
NICENESS = 10


@dataclass(frozen=True)
class EverflowCall:
    """One call the sandbox answered: its endpoint and when it ran (perf_counter seconds)."""

    endpoint: str
    began: float
    ended: float
    status: int = 200

    @property
    def reporting(self) -> bool:
        return self.endpoint.partition(" ")[2].startswith(REPORTING)


class SandboxProcess:
    """A running child sandbox: the environment that points a function at it, and its noted calls."""

    def __init__(self, process: subprocess.Popen[str], settings: dict[str, str], delay_ms: int) -> None:
        self._process = process
        self.settings = settings
        self.delay_ms = delay_ms

    def calls(self) -> list[EverflowCall]:
        """The calls answered since the previous `calls()`."""
        return [EverflowCall(*item) for item in self._ask("calls")]

    def save(self, path: Path) -> None:
        self._ask(f"save {path}")

    def prime(self, days: int, path: Path) -> int:
        """Write every pair's daily stats of the last `days` days to `path`; how many (pair, day) there are."""
        return int(self._ask(f"prime {days} {path}")["days"])

    def _ask(self, command: str) -> Any:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox process exited ({self._process.poll()}) on {command!r}")
        return json.loads(line)


@contextlib.contextmanager
def sandbox_process(*, delay_ms: int, snapshot: Path | None, log_path: Path,
                    aggregates: Path | None = None) -> Iterator[SandboxProcess]:
    """Start a child sandbox (from `snapshot`, answering from `aggregates`, when given); stop it on exit."""
    command = [sys.executable, "-m", "benchmarks.dashboard_sandbox", str(delay_ms), str(snapshot or ""),
               str(aggregates or "")]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                   text=True, start_new_session=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"the sandbox process did not start; see {log_path}")
        yield SandboxProcess(process, json.loads(line), delay_ms)
    finally:
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)
        stop_process_group(process)  # type: ignore[arg-type]  # bytes or text, it only signals and waits


def serve(delay_ms: int, snapshot: str, aggregates: str) -> None:
    """The child: a sandbox with every `/v1` call delayed and timed, answering the parent's commands."""
    from functions.local.embedded import sandbox_settings
    from shared.adapters.everflow.sandbox import start_sandbox

    os.nice(NICENESS)
    sandbox = start_sandbox()
    if snapshot:
        sandbox.load(Path(snapshot))
    if aggregates:
        _answer_from(Path(aggregates))
    noted = _note_calls(sandbox)
    if delay_ms:
        sandbox.faults.set(delay_ms=delay_ms)
    print(json.dumps(sandbox_settings(sandbox)), flush=True)
    for line in sys.stdin:
        print(json.dumps(_command(sandbox, noted, line.strip())), flush=True)
    sandbox.stop()


def _note_calls(sandbox: Any) -> list[tuple[str, float, float, int]]:
    """Note every call the sandbox answers (endpoint, start, end, status) in the list returned."""
    noted: list[tuple[str, float, float, int]] = []
    untimed = sandbox.app.api

    def timed(request: Any) -> Any:
        began = time.perf_counter()
        response = untimed(request)  # answers every failure itself
        # list.append is atomic: the server's threads may note calls side by side.
        noted.append((f"{request.method} {request.path}", began, time.perf_counter(), response.status_code))
        return response

    sandbox.app.api = timed  # this process only
    return noted


def _command(sandbox: Any, noted: list[tuple[str, float, float, int]], line: str) -> Any:
    command, _, argument = line.partition(" ")
    if command == "calls":
        answer = noted[:]
        del noted[:len(answer)]
        return answer
    if command == "save":
        sandbox.save(Path(argument))
        return {}
    if command == "prime":
        days, _, path = argument.partition(" ")
        return {"days": _prime(sandbox.state, int(days), Path(path))}
    return {"error": f"unknown command {command!r}"}


def _prime(state: Any, days: int, path: Path) -> int:
    """Compute every pair's daily (and recent hourly) stats once and write them to `path`."""
    from shared.adapters.everflow.sandbox_data import day_stats
    from shared.adapters.everflow.sandbox_hours import hour_stats
    from shared.adapters.everflow.sandbox_report_query import Catalog, Scope, today

    pairs = Catalog.load(state).pairs(Scope())
    last = today(state) + dt.timedelta(days=1)  # a zone east of UTC is a day ahead
    daily = {(pair, last - dt.timedelta(days=back)): None for back in range(days) for pair in pairs}
    hourly = {(pair, last - dt.timedelta(days=back)): None for back in range(HOURLY_DAYS) for pair in pairs}
    with path.open("wb") as out:
        pickle.dump(({key: day_stats(*key) for key in daily}, {key: hour_stats(*key) for key in hourly}), out)
    return len(daily)


def _answer_from(path: Path) -> None:
    """Make the entity report read the precomputed days first (this process only)."""
    from shared.adapters.everflow import sandbox_reports

    with path.open("rb") as source:
        daily, hourly = pickle.load(source)  # our own file, written by `_prime` in this run
    generate_day, generate_hours = sandbox_reports.day_stats, sandbox_reports.hour_stats

    def day_stats(pair: Any, day: dt.date) -> Any:
        found = daily.get((pair, day))
        return found if found is not None else generate_day(pair, day)

    def hour_stats(pair: Any, day: dt.date) -> Any:
        found = hourly.get((pair, day))
        return found if found is not None else generate_hours(pair, day)

    sandbox_reports.day_stats = day_stats
    sandbox_reports.hour_stats = hour_stats


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    delay, snapshot_path, aggregates_path = [*sys.argv[1:], "", ""][:3]
    serve(int(delay), snapshot_path, aggregates_path)
