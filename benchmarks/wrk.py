"""wrk as the load generator when it is installed: far lighter than Python threads on a small machine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from benchmarks.stats import LoadSummary

# wrk prints its own summary; this `done` hook adds one machine-readable line with p95, which
# `--latency` does not show. Latencies are in microseconds; non-2xx/3xx answers count as errors.
DONE_HOOK = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "errors": %d, "p50": %d, "p95": %d, "p99": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def wrk_path() -> str | None:
    return shutil.which("wrk")


def wrk_load(url: str, headers: dict[str, str], *, label: str, connections: int, duration_s: float) -> LoadSummary:
    """Run wrk against `url` for `duration_s` with `connections` keep-alive connections."""
    binary = wrk_path()
    if binary is None:
        raise RuntimeError("wrk is not installed")
    with tempfile.TemporaryDirectory(prefix="abp-wrk-") as tmp:
        script = Path(tmp) / "done.lua"
        script.write_text(DONE_HOOK)
        threads = max(1, min(connections, os.cpu_count() or 1))
        command = [binary, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration_s))}s",
                   "--timeout", "10s", "-s", str(script)]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        completed = subprocess.run([*command, url], capture_output=True, text=True, check=True)
    return _summary(completed.stdout, label=label, connections=connections)


def _summary(output: str, *, label: str, connections: int) -> LoadSummary:
    line = next((line for line in output.splitlines() if line.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{output}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    return LoadSummary(label=label, generator="wrk", connections=connections,
                       duration_s=data["duration_us"] / 1e6, requests=data["requests"], errors=data["errors"],
                       p50_ms=data["p50"] / 1000, p95_ms=data["p95"] / 1000, p99_ms=data["p99"] / 1000)
