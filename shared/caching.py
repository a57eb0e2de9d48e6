"""The report cache: an in-process LRU over Redis, versioned per tenant, single-flight, stale-while-revalidate.

Fresh for ttl_s; until 2 * ttl_s served at once while one background refresh runs; then fetched again,
and served flagged stale only when the origin fails. `invalidate` bumps the tenant's version, part of
every key, so old entries are never read again and expire on their own: no KEYS, no SCAN.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

import redis

from shared.cache import get_redis
from shared.config import Settings, get_settings

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")
Clock = Callable[[], float]
Refresher = Callable[[Callable[[], None]], None]
BREAKER_S = 5.0  # how long a failed Redis is left alone before one caller probes it again
POLL_S = 0.02  # how often a waiting instance looks for another instance's result
# Delete the flight lock only while it still holds our token: it may have expired and been taken since.
RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


@dataclass(frozen=True)
class Cached(Generic[T]):
    """A value with its provenance: when the origin produced it, whether it is stale, whether it was cached."""

    value: T
    fetched_at: float  # epoch seconds when the origin produced the value
    stale: bool  # older than the TTL (served while revalidating, or because the origin failed)
    hit: bool  # no origin call was made for this request

    def age_s(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.fetched_at


@dataclass(frozen=True)
class _Entry:
    """One stored value as Redis holds it: the JSON text {"v": value, "t": fetched_at}."""

    fetched_at: float
    text: str | bytes

    @classmethod
    def parse(cls, raw: str | bytes) -> _Entry:
        return cls(float(json.loads(raw)["t"]), raw)

    def value(self) -> Any:
        """A new copy on every call, so no caller can change what others are served."""
        return json.loads(self.text)["v"]


class _Breaker:
    """Skips Redis for `window_s` after a failure, then lets one caller probe it; warns once per outage."""

    def __init__(self, clock: Clock, window_s: float) -> None:
        self._clock, self._window_s = clock, window_s
        self._lock = threading.Lock()
        self._probe_at: float | None = None  # None while Redis works

    def allows(self) -> bool:
        with self._lock:
            if self._probe_at is not None:
                if self._clock() < self._probe_at:
                    return False
                self._probe_at = self._clock() + self._window_s  # this caller probes; the others keep skipping
            return True

    def failed(self, exc: Exception) -> None:
        with self._lock:
            opening, self._probe_at = self._probe_at is None, self._clock() + self._window_s
        if opening:
            log.warning("Redis unavailable for the report cache, serving from memory: %s", type(exc).__name__,
                        extra={"fields": {"error": str(exc), "retry_in_s": self._window_s}})

    def succeeded(self) -> None:
        with self._lock:
            recovering, self._probe_at = self._probe_at is not None, None
        if recovering:
            log.info("Redis is back: the report cache is shared again")


def _canonical(value: object) -> object:
    """Sets in a fixed order, anything else (dates, enums) as text, so equal keys hash equally everywhere."""
    return sorted(value, key=str) if isinstance(value, (set, frozenset)) else str(value)


def in_background(task: Callable[[], None]) -> None:
    """Run a refresh on a daemon thread, so the request that noticed the stale value is not held up."""
    threading.Thread(target=task, name="report-cache-refresh", daemon=True).start()


class ReportCache:
    """Report values per tenant; Redis failures degrade to this process's memory, never to errors."""

    def __init__(self, client: redis.Redis | None, settings: Settings, *, clock: Clock = time.time,
                 refresher: Refresher = in_background, breaker_s: float = BREAKER_S) -> None:
        self._client = client
        self._ttl_s = settings.report_cache_ttl_s
        self._stale_s = settings.report_cache_stale_s
        self._version_ttl_s = settings.report_cache_version_ttl_s
        self._flight_wait_s = settings.report_cache_flight_wait_s
        self._prefix = settings.report_cache_prefix
        self._clock = clock
        self._refresher = refresher
        self._breaker = _Breaker(clock, breaker_s)
        self._l1_entries = settings.report_cache_l1_entries
        self._l1: OrderedDict[str, _Entry] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()
        self._versions: dict[str, tuple[int, float]] = {}  # tenant -> (version, when read)
        self._flights: dict[str, Future[tuple[_Entry, bool]]] = {}
        self._stats = dict.fromkeys(("hits", "misses", "stale", "errors"), 0)

    def get(self, namespace: str, tenant: str, key: Mapping[str, Any], load: Callable[[], T]) -> Cached[T]:
        """The cached value of `key`, loading it (once, across threads and instances) when needed."""
        name = self._key(namespace, tenant, key)
        now = self._clock()
        entry = self._lookup(name, now)
        if entry is not None and now - entry.fetched_at < 2 * self._ttl_s:
            stale = now - entry.fetched_at >= self._ttl_s
            if stale:
                self._revalidate(name, load)
            return self._counted(Cached(entry.value(), entry.fetched_at, stale=stale, hit=True))
        return self._counted(self._load(name, load, entry))

    def invalidate(self, tenant: str) -> None:
        """Make every cached value of `tenant` unreachable, here at once and elsewhere within version_ttl_s."""
        with self._lock:
            known = self._versions.get(tenant, (0, 0.0))[0]
        # Without Redis only this instance moves on; the TTL bounds what the others serve.
        version = self._redis(lambda client: int(client.incr(f"{self._prefix}:ver:{tenant}")), known + 1)
        with self._lock:
            self._versions[tenant] = (version, self._clock())

    def stats(self) -> dict[str, int]:
        """Hits, misses, stale answers and origin errors seen by this process."""
        with self._lock:
            return dict(self._stats)

    def _key(self, namespace: str, tenant: str, key: Mapping[str, Any]) -> str:
        canonical = json.dumps(key, sort_keys=True, separators=(",", ":"), default=_canonical)
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:32]
        return f"{self._prefix}:{namespace}:{tenant}:v{self._version(tenant)}:{digest}"

    def _version(self, tenant: str) -> int:
        """The tenant's version, read from Redis at most once per version_ttl_s."""
        now = self._clock()
        with self._lock:
            known, read_at = self._versions.get(tenant, (0, float("-inf")))
        if now - read_at < self._version_ttl_s:
            return known
        version = self._redis(lambda client: int(client.get(f"{self._prefix}:ver:{tenant}") or 0), known)
        with self._lock:
            self._versions[tenant] = (version, now)
        return version

    def _lookup(self, name: str, now: float) -> _Entry | None:
        """The newest stored entry: L1 when fresh, else whichever of L1 and Redis is younger."""
        entry = self._recall(name)
        if entry is None or now - entry.fetched_at >= self._ttl_s:
            shared = self._read(name)
            if shared is not None and (entry is None or shared.fetched_at > entry.fetched_at):
                self._remember(name, shared)
                entry = shared
        if entry is None or now - entry.fetched_at >= self._stale_s:
            return None  # Redis has let it go too
        return entry

    def _load(self, name: str, load: Callable[[], T], stored: _Entry | None) -> Cached[T]:
        """Load through one flight per key in this process; on failure serve `stored` flagged stale, or raise."""
        with self._lock:
            flight = self._flights.get(name)
            leading = flight is None
            if flight is None:
                flight = self._flights[name] = Future()
        if leading:
            self._fly(flight, name, load)
        try:
            entry, loaded = flight.result()
        except Exception:
            if stored is None:
                raise
            return Cached(stored.value(), stored.fetched_at, stale=True, hit=not leading)
        return Cached(entry.value(), entry.fetched_at, stale=False, hit=not (leading and loaded))

    def _fly(self, flight: Future[tuple[_Entry, bool]], name: str, load: Callable[[], Any]) -> None:
        """Settle this process's flight of `name` for everyone waiting on it."""
        try:
            flight.set_result(self._fetch(name, load))
        except Exception as exc:  # whoever waits serves the stored value, or raises when there is none
            with self._lock:
                self._stats["errors"] += 1
            log.warning("report cache load of %s failed: %s", name, type(exc).__name__)
            flight.set_exception(exc)
        finally:
            with self._lock:
                del self._flights[name]
            if not flight.done():  # interrupted (KeyboardInterrupt, SystemExit): do not leave waiters hanging
                flight.set_exception(RuntimeError(f"the report cache load of {name} was interrupted"))

    def _fetch(self, name: str, load: Callable[[], Any]) -> tuple[_Entry, bool]:
        """Call the origin unless another instance did just before our lock, or does now; True if we loaded it."""
        with self._flight_lock(name) as ours:
            found = self._fresh(self._read(name)) if ours else self._await_other(name)
            if found is None:
                return self._store(name, load()), True
            self._remember(name, found)
            return found, False

    def _revalidate(self, name: str, load: Callable[[], Any]) -> None:
        """Refresh `name` in the background as this process's flight of it, unless one is already up."""
        with self._lock:
            if name in self._flights:
                return
            flight = self._flights[name] = Future()
        self._refresher(lambda: self._fly(flight, name, load))

    @contextmanager
    def _flight_lock(self, name: str) -> Iterator[bool]:
        """Hold the cross-instance flight lock of `name`: False when another instance has it (without Redis: ours)."""
        lock, token, wait_ms = f"{name}:lock", uuid.uuid4().hex, int(self._flight_wait_s * 1000)
        ours = self._redis(lambda client: bool(client.set(lock, token, nx=True, px=wait_ms)), True)
        try:
            yield ours
        finally:
            if ours:
                self._redis(lambda client: client.eval(RELEASE, 1, lock, token), None)

    def _await_other(self, name: str) -> _Entry | None:
        """Poll Redis for another instance's fresh result while it holds the lock, flight_wait_s at most."""
        deadline = time.monotonic() + self._flight_wait_s
        while time.monotonic() < deadline:
            time.sleep(POLL_S)
            raw, lock = self._redis(lambda client: list[Any](client.mget([name, f"{name}:lock"])), [None, None])
            fresh = self._fresh(None if raw is None else _Entry.parse(raw))
            if fresh is not None or lock is None:  # without the lock its flight ended with no value, or Redis is gone
                return fresh
        return None

    def _recall(self, name: str) -> _Entry | None:
        with self._lock:
            if name in self._l1:
                self._l1.move_to_end(name)
            return self._l1.get(name)

    def _remember(self, name: str, entry: _Entry) -> None:
        with self._lock:
            self._l1[name] = entry
            self._l1.move_to_end(name)
            while len(self._l1) > self._l1_entries:
                self._l1.popitem(last=False)

    def _fresh(self, entry: _Entry | None) -> _Entry | None:
        return entry if entry is not None and self._clock() - entry.fetched_at < self._ttl_s else None

    def _read(self, name: str) -> _Entry | None:
        raw = self._redis(lambda client: client.get(name), None)
        return None if raw is None else _Entry.parse(raw)

    def _store(self, name: str, value: Any) -> _Entry:
        now = self._clock()
        entry = _Entry(now, json.dumps({"v": value, "t": now}, separators=(",", ":")))
        self._remember(name, entry)
        self._redis(lambda client: client.set(name, entry.text, ex=self._stale_s), None)
        return entry

    def _redis(self, operation: Callable[[redis.Redis], R], fallback: R) -> R:
        """Run one Redis operation, or answer `fallback` when Redis is absent, failing or resting."""
        if self._client is None or not self._breaker.allows():
            return fallback
        try:
            result = operation(self._client)
        except (redis.RedisError, OSError) as exc:
            self._breaker.failed(exc)
            return fallback
        self._breaker.succeeded()
        return result

    def _counted(self, cached: Cached[T]) -> Cached[T]:
        with self._lock:
            self._stats["hits" if cached.hit else "misses"] += 1
            self._stats["stale"] += cached.stale
        return cached


@cache
def get_report_cache() -> ReportCache:
    """The process's report cache, on the platform's Redis client; built on first use."""
    return ReportCache(get_redis(), get_settings())


def reset_report_cache() -> None:
    get_report_cache.cache_clear()
