from __future__ import annotations

import hashlib
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pytest
import redis

from shared.caching import ReportCache, get_report_cache, reset_report_cache
from shared.config import Settings
from tests.integration.test_ratelimit_redis import Relay

T = TypeVar("T")
KEY = {"period": {"start": "2024-01-01", "end": "2024-01-31"}, "timezone": "UTC", "filter": {"offers": [1, 2]}}


class FakeClock:
    """Wall-clock epoch seconds that move only when a test says so (for the breaker window)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Origin:
    """A slow loader that counts its calls across threads."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> dict[str, int]:
        with self._lock:
            self.calls += 1
            call = self.calls
        time.sleep(self.delay_s)
        return {"clicks": call}


def client_of(url: str, timeout_s: float = 1.0) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)


@pytest.fixture
def prefix() -> str:
    return f"rc-test:{uuid.uuid4().hex[:8]}"


@pytest.fixture
def instances(redis_url: str, prefix: str) -> Callable[..., ReportCache]:
    """Build caches on their own clients of the test Redis, like function instances sharing one Redis."""

    def build(clock: Callable[[], float] = time.time) -> ReportCache:
        settings = Settings(report_cache_prefix=prefix, report_cache_version_ttl_s=0.2, report_cache_flight_wait_s=5.0)
        return ReportCache(client_of(redis_url), settings, clock=clock)

    return build


@pytest.fixture
def relay(redis_url: str) -> Iterator[Relay]:
    parts = urlsplit(redis_url)
    relay = Relay((parts.hostname or "127.0.0.1", parts.port or 6379))
    yield relay
    relay.close()


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A port that accepts connections and never answers: every command waits for the socket timeout."""
    listener = socket.create_server(("127.0.0.1", 0))
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    listener.close()


def in_threads(count: int, work: Callable[[int], T]) -> list[T]:
    """Run `work(i)` in `count` threads released together; return their results in order."""
    results: list[Any] = [None] * count
    start = threading.Barrier(count)

    def run(index: int) -> None:
        start.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_a_value_loaded_by_one_instance_is_a_hit_for_another(instances: Callable[..., ReportCache]) -> None:
    first, second = instances(), instances()
    origin = Origin()
    loaded = first.get("summary", "org:1", KEY, origin)
    shared = second.get("summary", "org:1", KEY, origin)
    assert (loaded.hit, shared.hit) == (False, True)
    assert (shared.value, shared.fetched_at) == (loaded.value, loaded.fetched_at)
    assert origin.calls == 1


def test_an_invalidation_on_one_instance_reaches_the_other_after_the_version_ttl(
        instances: Callable[..., ReportCache]) -> None:
    first, second = instances(), instances()
    origin = Origin()
    first.get("summary", "org:1", KEY, origin)
    second.get("summary", "org:1", KEY, origin)
    first.invalidate("org:1")
    assert not first.get("summary", "org:1", KEY, origin).hit  # at once on the instance that invalidated
    time.sleep(0.25)
    after = second.get("summary", "org:1", KEY, origin)
    assert (after.value, after.hit) == ({"clicks": 2}, True)  # the other sees the new version and its new value
    assert origin.calls == 2


def test_an_invalidation_leaves_other_tenants_cached(instances: Callable[..., ReportCache]) -> None:
    cache = instances()
    origin = Origin()
    cache.get("summary", "org:1", KEY, origin)
    cache.get("summary", "org:2", KEY, origin)
    cache.invalidate("org:1")
    assert [cache.get("summary", tenant, KEY, origin).hit for tenant in ("org:1", "org:2")] == [False, True]


def test_twenty_threads_missing_one_key_make_one_origin_call(instances: Callable[..., ReportCache]) -> None:
    cache = instances()
    origin = Origin(delay_s=0.2)
    answers = in_threads(20, lambda _: cache.get("summary", "org:1", KEY, origin))
    assert origin.calls == 1
    assert all(answer.value == {"clicks": 1} for answer in answers)
    assert cache.stats() == {"hits": 19, "misses": 1, "stale": 0, "errors": 0}


def test_two_instances_missing_one_key_together_make_one_origin_call(instances: Callable[..., ReportCache]) -> None:
    pair = [instances(), instances()]
    origin = Origin(delay_s=0.3)
    answers = in_threads(10, lambda n: pair[n % 2].get("summary", "org:1", KEY, origin))
    assert origin.calls == 1
    assert all(answer.value == {"clicks": 1} for answer in answers)
    assert sum(not answer.hit for answer in answers) == 1


def test_a_failed_load_on_one_instance_releases_the_others_without_waiting_out_the_flight(
        instances: Callable[..., ReportCache]) -> None:
    pair = [instances(), instances()]
    calls: list[int] = []

    def failing() -> dict[str, int]:
        calls.append(1)
        time.sleep(0.2)
        raise TimeoutError("Everflow is down")

    started = time.perf_counter()
    outcomes = in_threads(2, lambda n: _outcome(lambda: pair[n].get("summary", "org:1", KEY, failing)))
    assert outcomes == ["TimeoutError", "TimeoutError"]
    assert len(calls) == 2  # after the first instance failed, the second tried on its own
    assert time.perf_counter() - started < 2  # the flight wait is 5 s; the loser noticed the lock was gone


def _outcome(call: Callable[[], object]) -> str:
    try:
        call()
    except Exception as exc:
        return type(exc).__name__
    return "ok"


def test_a_stale_value_is_refreshed_in_the_background_through_redis(instances: Callable[..., ReportCache]) -> None:
    clock = FakeClock()
    first, second = instances(clock=clock), instances(clock=clock)
    origin = Origin()
    first.get("summary", "org:1", KEY, origin)
    clock.advance(301)
    stale = second.get("summary", "org:1", KEY, origin)
    assert (stale.value, stale.stale, stale.hit) == ({"clicks": 1}, True, True)
    for thread in threading.enumerate():
        if thread.name == "report-cache-refresh":
            thread.join(5)
    assert first.get("summary", "org:1", KEY, origin).value == {"clicks": 2}  # first's L1 is stale: read Redis
    assert origin.calls == 2


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_with_redis_unreachable_gets_keep_working_from_memory_and_stay_fast(
        kind: str, silent_server: str, prefix: str) -> None:
    url = "redis://127.0.0.1:1/0" if kind == "refused" else silent_server
    cache = ReportCache(client_of(url, timeout_s=0.2), Settings(report_cache_prefix=prefix))
    origin = Origin()
    started = time.perf_counter()
    answers = [cache.get("summary", "org:1", KEY, origin) for _ in range(50)]
    cache.invalidate("org:1")
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0  # without the breaker each get would wait 0.2 s per command: 50+ seconds
    assert [a.hit for a in answers] == [False] + [True] * 49
    assert origin.calls == 1
    assert not cache.get("summary", "org:1", KEY, origin).hit  # the local version moved on


def test_redis_is_used_again_after_the_breaker_window(relay: Relay, redis_url: str, prefix: str) -> None:
    clock = FakeClock()
    cache = ReportCache(client_of(f"redis://127.0.0.1:{relay.port}/0", timeout_s=0.5),
                        Settings(report_cache_prefix=prefix), clock=clock, breaker_s=5)
    direct = client_of(redis_url)
    other = ReportCache(direct, Settings(report_cache_prefix=prefix))
    origin = Origin()
    cache.get("summary", "org:1", {"n": 1}, origin)
    assert other.get("summary", "org:1", {"n": 1}, origin).hit  # shared through Redis

    relay.cut()
    assert not cache.get("summary", "org:1", {"n": 2}, origin).hit
    relay.restore()
    clock.advance(4)
    cache.get("summary", "org:1", {"n": 3}, origin)  # the breaker is still open: Redis is not asked
    assert not other.get("summary", "org:1", {"n": 3}, origin).hit

    clock.advance(1)
    cache.get("summary", "org:1", {"n": 4}, origin)
    assert other.get("summary", "org:1", {"n": 4}, origin).hit  # one probe closed the breaker: shared again
    assert origin.calls == 5


def test_the_process_cache_is_built_once_from_the_settings_and_the_platform_redis(
        monkeypatch: pytest.MonkeyPatch, redis_url: str, prefix: str) -> None:
    from shared.cache import reset_redis
    from shared.config import get_settings

    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("REPORT_CACHE_PREFIX", prefix)
    get_settings.cache_clear()
    reset_redis()
    reset_report_cache()
    try:
        assert get_report_cache() is get_report_cache()
        get_report_cache().get("summary", "org:1", {"n": 1}, Origin())
        digest = hashlib.sha256(b'{"n":1}').hexdigest()[:32]
        assert client_of(redis_url).exists(f"{prefix}:summary:org:1:v0:{digest}")
    finally:
        reset_report_cache()
        reset_redis()
        get_settings.cache_clear()
