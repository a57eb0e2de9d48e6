"""A bounded load client: N threads, one keep-alive `http.client` connection each, per-request latency.

It stops at a fixed duration or after a fixed number of requests, whichever is given, so it can never
run away. Python threads share the GIL, so on a small machine the client itself costs CPU the server
would otherwise get; wrk (see `wrk.py`) is preferred when it is installed.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from benchmarks.stats import LoadSummary, percentiles_ms

REQUEST_TIMEOUT_S = 10.0


class _Budget:
    """A thread-safe countdown of requests left to send; unlimited when `total` is None."""

    def __init__(self, total: int | None) -> None:
        self._left = total
        self._lock = threading.Lock()

    def take(self) -> bool:
        if self._left is None:
            return True
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True


@dataclass
class _Worker:
    host: str
    port: int
    target: str
    headers: dict[str, str]
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    def run(self, start: threading.Barrier, deadline: list[float], budget: _Budget) -> None:
        con = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT_S)
        start.wait()
        try:
            while time.perf_counter() < deadline[0] and budget.take():
                self._one(con)
        finally:
            con.close()

    def _one(self, con: http.client.HTTPConnection) -> None:
        began = time.perf_counter()
        try:
            con.request("GET", self.target, headers=self.headers)
            response = con.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            self.errors += 1
            con.close()  # the next request reconnects
            return
        self.latencies.append(time.perf_counter() - began)
        if not 200 <= response.status < 300:
            self.errors += 1


def python_load(url: str, headers: dict[str, str], *, label: str, connections: int,
                duration_s: float | None = None, total_requests: int | None = None) -> LoadSummary:
    """Send GET `url` over `connections` keep-alive connections for `duration_s` or `total_requests`."""
    if duration_s is None and total_requests is None:
        raise ValueError("give a duration or a request count")
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    headers = {"Connection": "keep-alive", **headers}
    workers = [_Worker(parts.hostname or "127.0.0.1", parts.port or 80, target, headers) for _ in range(connections)]
    elapsed = _run_workers(workers, duration_s, _Budget(total_requests))
    latencies = [latency for worker in workers for latency in worker.latencies]
    p50, p95, p99 = percentiles_ms(latencies)
    return LoadSummary(label=label, generator="python", connections=connections, duration_s=elapsed,
                       requests=len(latencies), errors=sum(w.errors for w in workers),
                       p50_ms=p50, p95_ms=p95, p99_ms=p99)


def _run_workers(workers: list[_Worker], duration_s: float | None, budget: _Budget) -> float:
    """Start every worker at once; return the seconds from the common start to the last one's end."""
    start = threading.Barrier(len(workers) + 1)
    deadline = [float("inf")]  # set once every connection is ready, so set-up is not measured
    threads = [threading.Thread(target=w.run, args=(start, deadline, budget), daemon=True) for w in workers]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline[0] = began + duration_s if duration_s is not None else float("inf")
    start.wait()
    try:
        for thread in threads:
            thread.join()
    finally:
        deadline[0] = float("-inf")  # on Ctrl-C, stop the workers too
    return time.perf_counter() - began
