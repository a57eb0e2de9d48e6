"""Samples of the servers while locust runs: memory, CPU and descriptors of every function process, connections."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import psutil
import redis

PG_CONNECTIONS = ("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"
                  " AND pid <> pg_backend_pid()")


@dataclass(frozen=True)
class ProcessSample:
    """A function's gunicorn master and workers together."""

    rss_mb: float
    cpu_s: float  # user + system since the start, of every process of the tree
    fds: int


@dataclass(frozen=True)
class Sample:
    at_s: float  # since the sampler started
    functions: dict[str, ProcessSample]
    pg_connections: int
    redis_clients: int


def process_sample(pid: int) -> ProcessSample:
    """The tree under `pid` (gunicorn master and its workers); processes that just exited are skipped."""
    rss = cpu = 0.0
    fds = 0
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess), process.oneshot():
            rss += process.memory_info().rss
            times = process.cpu_times()
            cpu += times.user + times.system
            fds += process.num_fds()
    return ProcessSample(rss / 2**20, cpu, fds)


def cpu_seconds(pids: list[int]) -> float:
    """User + system seconds of these process trees (e.g. PostgreSQL's postmaster and backends)."""
    return sum(process_sample(pid).cpu_s for pid in pids)


class Sampler:
    """Samples every `every_s` seconds in a thread until stopped (and once at the start and at the end)."""

    def __init__(self, pids: dict[str, int], pg_count: Callable[[], int], redis_url: str, every_s: float) -> None:
        self.pids, self.pg_count, self.every_s = pids, pg_count, every_s
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=5)
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._began = time.perf_counter()

    def take(self) -> Sample:
        functions = {name: process_sample(pid) for name, pid in self.pids.items()}
        clients = int(self.redis.info("clients")["connected_clients"]) - 1  # not ours
        sample = Sample(time.perf_counter() - self._began, functions, self.pg_count(), clients)
        self.samples.append(sample)
        return sample

    def _run(self, announce: Callable[[Sample], None]) -> None:
        while not self._stop.wait(self.every_s):
            announce(self.take())

    @contextlib.contextmanager
    def running(self, announce: Callable[[Sample], None] = lambda _: None) -> Iterator[list[Sample]]:
        self._began = time.perf_counter()
        self.take()
        thread = threading.Thread(target=self._run, args=(announce,), daemon=True)
        thread.start()
        try:
            yield self.samples
        finally:
            self._stop.set()
            thread.join()
            self.take()
            self.redis.close()
