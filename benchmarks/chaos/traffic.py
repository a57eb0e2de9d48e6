"""Background traffic for a fault scenario: every request kept with its start, latency, status and body.

benchmarks/load.py counts latencies of one GET; a fault scenario needs more of each request: when it
started relative to the fault, what it answered (a 503 must carry the JSON error), and for writes
what was acknowledged, to compare with the database afterwards.
"""

from __future__ import annotations

import http.client
import itertools
import json
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

REQUEST_TIMEOUT_S = 30.0  # far above any bound a scenario checks: a hang shows as a long latency, not a gap


@dataclass(frozen=True)
class Request:
    kind: str  # what the scenario groups by, e.g. "read" or "write"
    method: str
    port: int
    path: str
    headers: dict[str, str]
    body: Any = None  # sent as JSON when not None


@dataclass(frozen=True)
class Sample:
    """One request as it went: `status` None when no HTTP answer came (refused, reset, timed out)."""

    kind: str
    started: float  # time.perf_counter()
    latency_s: float
    status: int | None
    body: Any  # the parsed JSON answer, or None when it was not JSON
    sent: Any = None  # the request body

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def json_error(self) -> bool:
        """The platform's error format: {"error": {"code": ..., "message": ...}}."""
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return isinstance(error, dict) and "code" in error and "message" in error


def send(con: http.client.HTTPConnection, request: Request) -> Sample:
    """One request on a kept-alive connection; a broken connection is closed so the next one reconnects."""
    payload = None if request.body is None else json.dumps(request.body)
    headers = {**request.headers, **({"Content-Type": "application/json"} if payload is not None else {})}
    started = time.perf_counter()
    status: int | None = None
    body: Any = None
    try:
        con.request(request.method, request.path, body=payload, headers=headers)
        response = con.getresponse()
        status, raw = response.status, response.read()
        body = _json(raw)
    except (OSError, http.client.HTTPException):
        con.close()
    return Sample(request.kind, started, time.perf_counter() - started, status, body, request.body)


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


class Traffic:
    """Threads that each send their own stream of requests, `pause_s` apart, until stopped."""

    def __init__(self, streams: Sequence[Callable[[int], Request]], pause_s: float) -> None:
        self._streams = streams
        self._pause_s = pause_s
        self._stop = threading.Event()
        self._samples: list[Sample] = []
        self._lock = threading.Lock()

    @property
    def samples(self) -> list[Sample]:
        with self._lock:
            return list(self._samples)

    @contextmanager
    def running(self) -> Iterator[Traffic]:
        threads = [threading.Thread(target=self._run, args=(stream,), daemon=True) for stream in self._streams]
        for thread in threads:
            thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            for thread in threads:
                thread.join(REQUEST_TIMEOUT_S + 5)

    def _run(self, stream: Callable[[int], Request]) -> None:
        connections: dict[int, http.client.HTTPConnection] = {}
        for number in itertools.count():
            if self._stop.is_set():
                break
            request = stream(number)
            con = connections.setdefault(request.port, http.client.HTTPConnection(
                "127.0.0.1", request.port, timeout=REQUEST_TIMEOUT_S))
            sample = send(con, request)
            with self._lock:
                self._samples.append(sample)
            self._stop.wait(self._pause_s)
        for con in connections.values():
            con.close()


def between(samples: Iterable[Sample], start: float, end: float) -> list[Sample]:
    """The requests that started and ended inside [start, end]."""
    return [s for s in samples if s.started >= start and s.started + s.latency_s <= end]


def latency_figures(samples: Sequence[Sample], label: str) -> dict[str, str | int | float]:
    """Median and maximum latency in ms (0 when there were no requests)."""
    latencies = [s.latency_s * 1000 for s in samples]
    return {f"median ms {label}": round(statistics.median(latencies), 1) if latencies else 0,
            f"max ms {label}": round(max(latencies), 1) if latencies else 0}


def first_success_after(samples: Iterable[Sample], moment: float, kinds: Iterable[str]) -> float | None:
    """Seconds from `moment` until every kind had answered 2xx to a request started after it; None if one never did."""
    delays = []
    for kind in kinds:
        starts = [s.started + s.latency_s for s in samples if s.kind == kind and s.ok and s.started >= moment]
        if not starts:
            return None
        delays.append(min(starts) - moment)
    return max(delays)
