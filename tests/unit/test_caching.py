from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

from shared.caching import Cached, ReportCache
from shared.config import Settings

TTL = 60


class FakeClock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeRedis:
    """A unit-test fake of the few Redis commands the cache uses (GET, MGET, SET NX/EX/PX, INCR, the release EVAL).

    Expiry is recorded, not enforced; the integration tests run the same code against a real Redis.
    """

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.expiry: dict[str, int] = {}

    def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    def mget(self, keys: list[str]) -> list[bytes | None]:
        return [self.data.get(key) for key in keys]

    def set(self, key: str, value: str, *, nx: bool = False, ex: int | None = None, px: int | None = None) -> bool:
        if nx and key in self.data:
            return False
        self.data[key] = value.encode()
        self.expiry[key] = ex * 1000 if ex is not None else px or 0
        return True

    def incr(self, key: str) -> int:
        self.data[key] = str(int(self.data.get(key, b"0")) + 1).encode()
        return int(self.data[key])

    def eval(self, script: str, numkeys: int, key: str, token: str) -> int:
        if self.data.get(key) == token.encode():
            del self.data[key]
            return 1
        return 0


class DownRedis:
    """Every command fails as a refused connection would; counts how often it was asked."""

    def __init__(self) -> None:
        self.calls = 0

    def _fail(self, *args: object, **kwargs: object) -> None:
        self.calls += 1
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    get = mget = set = incr = eval = _fail


class Origin:
    """A loader that counts its calls and returns the next numbered value, or fails when told to."""

    def __init__(self) -> None:
        self.calls = 0
        self.failing = False

    def __call__(self) -> dict[str, int]:
        self.calls += 1
        if self.failing:
            raise TimeoutError("Everflow is down")
        return {"clicks": self.calls}


Tasks = list[Callable[[], None]]


def settings(**changes: Any) -> Settings:
    values = {"report_cache_ttl_s": TTL, "report_cache_stale_s": 3_600, "report_cache_l1_entries": 100,
              "report_cache_version_ttl_s": 1.0, "report_cache_prefix": "rc-unit"} | changes
    return Settings(**values)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake() -> FakeRedis:
    return FakeRedis()


@pytest.fixture
def cache(fake: FakeRedis, clock: FakeClock) -> ReportCache:
    return ReportCache(fake, settings(), clock=clock, refresher=lambda task: task())  # type: ignore[arg-type]


def period(start: str = "2024-01-01", end: str = "2024-01-31", **filters: Any) -> dict[str, Any]:
    return {"period": {"start": start, "end": end}, "timezone": "UTC", "filter": filters}


def test_a_second_get_within_the_ttl_is_a_fresh_hit(cache: ReportCache, clock: FakeClock) -> None:
    origin = Origin()
    first = cache.get("summary", "org:1", period(), origin)
    clock.advance(TTL - 1)
    second = cache.get("summary", "org:1", period(), origin)
    assert first == Cached({"clicks": 1}, clock.now - TTL + 1, stale=False, hit=False)
    assert second == Cached({"clicks": 1}, first.fetched_at, stale=False, hit=True)
    assert second.age_s(clock.now) == TTL - 1
    assert origin.calls == 1
    assert cache.stats() == {"hits": 1, "misses": 1, "stale": 0, "errors": 0}


def test_after_the_ttl_the_stale_value_is_served_at_once_and_refreshed_once(fake: FakeRedis, clock: FakeClock) -> None:
    tasks: Tasks = []
    cache = ReportCache(fake, settings(), clock=clock, refresher=tasks.append)  # type: ignore[arg-type]
    origin = Origin()
    cache.get("summary", "org:1", period(), origin)
    clock.advance(TTL + 1)
    answers = [cache.get("summary", "org:1", period(), origin) for _ in range(3)]
    assert [(a.value, a.stale, a.hit) for a in answers] == [({"clicks": 1}, True, True)] * 3
    assert (len(tasks), origin.calls) == (1, 1)  # one refresh queued while it is pending

    tasks.pop()()
    refreshed = cache.get("summary", "org:1", period(), origin)
    assert refreshed == Cached({"clicks": 2}, clock.now, stale=False, hit=True)
    assert (origin.calls, tasks) == (2, [])
    assert cache.stats() == {"hits": 4, "misses": 1, "stale": 3, "errors": 0}


def test_a_failed_background_refresh_keeps_the_stale_value_and_counts_an_error(cache: ReportCache,
                                                                                clock: FakeClock) -> None:
    origin = Origin()
    cache.get("summary", "org:1", period(), origin)
    clock.advance(TTL)
    origin.failing = True
    answer = cache.get("summary", "org:1", period(), origin)
    assert (answer.value, answer.stale, answer.hit) == ({"clicks": 1}, True, True)
    assert cache.stats()["errors"] == 1


def test_a_very_old_value_is_fetched_again_and_served_flagged_stale_when_the_origin_fails(
        cache: ReportCache, clock: FakeClock) -> None:
    origin = Origin()
    first = cache.get("summary", "org:1", period(), origin)
    clock.advance(2 * TTL)
    assert cache.get("summary", "org:1", period(), origin).value == {"clicks": 2}  # fetched synchronously

    clock.advance(2 * TTL + 5)
    origin.failing = True
    answer = cache.get("summary", "org:1", period(), origin)
    assert answer == Cached({"clicks": 2}, first.fetched_at + 2 * TTL, stale=True, hit=False)
    assert answer.age_s(clock.now) == 2 * TTL + 5
    assert cache.stats() == {"hits": 0, "misses": 3, "stale": 1, "errors": 1}


def test_with_nothing_stored_the_origin_error_propagates(cache: ReportCache) -> None:
    origin = Origin()
    origin.failing = True
    with pytest.raises(TimeoutError, match="Everflow is down"):
        cache.get("summary", "org:1", period(), origin)
    origin.failing = False
    assert cache.get("summary", "org:1", period(), origin).value == {"clicks": 2}  # failures are not cached


def test_tenants_periods_filters_and_namespaces_each_get_their_own_entry(cache: ReportCache) -> None:
    origin = Origin()
    lookups = [
        ("summary", "org:1", period()),
        ("summary", "org:2", period()),
        ("summary", "org:1", period(end="2024-02-29")),
        ("summary", "org:1", period(offers=[1, 2])),
        ("summary", "org:1", period(offers=[1, 3])),
        ("timeseries", "org:1", period()),
    ]
    values = [cache.get(namespace, tenant, key, origin).value for namespace, tenant, key in lookups]
    assert values == [{"clicks": n} for n in range(1, 7)]
    assert cache.get("summary", "org:1", period(offers=[1, 3]), origin).hit


def test_equal_keys_hash_equally_whatever_their_order_or_set_order(cache: ReportCache, fake: FakeRedis) -> None:
    origin = Origin()
    cache.get("summary", "org:1", {"offers": frozenset({3, 1, 2}), "a": 1, "b": {"y": 2, "x": 1}}, origin)
    again = cache.get("summary", "org:1", {"b": {"x": 1, "y": 2}, "offers": frozenset({2, 3, 1}), "a": 1}, origin)
    assert again.hit
    assert origin.calls == 1


def test_the_redis_key_names_prefix_namespace_tenant_version_and_a_digest_of_the_canonical_key(
        cache: ReportCache, fake: FakeRedis) -> None:
    cache.get("summary", "org:7", {"b": [1, 2], "a": "x"}, Origin())
    digest = hashlib.sha256(b'{"a":"x","b":[1,2]}').hexdigest()[:32]  # the same in every process
    assert list(fake.data) == [f"rc-unit:summary:org:7:v0:{digest}"]


def test_values_are_stored_as_json_with_their_fetch_time_and_expire_after_stale_s(
        cache: ReportCache, fake: FakeRedis, clock: FakeClock) -> None:
    cache.get("summary", "org:1", period(), lambda: {"rows": [1, 2]})
    [(key, raw)] = fake.data.items()
    assert json.loads(raw) == {"v": {"rows": [1, 2]}, "t": clock.now}
    assert fake.expiry[key] == 3_600_000


def test_callers_get_copies_so_changing_one_does_not_change_the_cache(cache: ReportCache) -> None:
    cache.get("summary", "org:1", period(), lambda: {"rows": [1, 2]})
    served = cache.get("summary", "org:1", period(), Origin())
    served.value["rows"].append(3)
    assert cache.get("summary", "org:1", period(), Origin()).value == {"rows": [1, 2]}


def test_invalidate_makes_the_next_get_load_again_for_that_tenant_only(cache: ReportCache, fake: FakeRedis) -> None:
    origin = Origin()
    cache.get("summary", "org:1", period(), origin)
    cache.get("summary", "org:2", period(), origin)
    cache.invalidate("org:1")
    assert fake.data["rc-unit:ver:org:1"] == b"1"
    reloaded = cache.get("summary", "org:1", period(), origin)
    assert (reloaded.value, reloaded.hit) == ({"clicks": 3}, False)
    assert cache.get("summary", "org:1", period(), origin).hit
    assert cache.get("summary", "org:2", period(), origin).hit
    assert origin.calls == 3


def test_concurrent_misses_in_one_process_wait_for_one_load_even_without_redis(clock: FakeClock) -> None:
    cache = ReportCache(None, settings(), clock=clock)
    origin = Origin()
    start = threading.Barrier(20)

    def slow() -> dict[str, int]:
        time.sleep(0.1)
        return origin()

    def work() -> None:
        start.wait()
        answers.append(cache.get("summary", "org:1", period(), slow))

    answers: list[Cached[dict[str, int]]] = []
    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert origin.calls == 1
    assert sorted(answer.hit for answer in answers) == [False] + [True] * 19


def test_the_l1_keeps_only_its_bound_of_recently_used_entries(clock: FakeClock) -> None:
    cache = ReportCache(None, settings(report_cache_l1_entries=2), clock=clock)
    origin = Origin()
    for name in ("a", "b", "a", "c"):  # "b" is the least recently used when "c" arrives
        cache.get("summary", "org:1", {"name": name}, origin)
    assert cache.get("summary", "org:1", {"name": "a"}, origin).hit
    assert cache.get("summary", "org:1", {"name": "c"}, origin).hit
    assert not cache.get("summary", "org:1", {"name": "b"}, origin).hit
    assert origin.calls == 4


def test_without_redis_and_without_an_l1_every_get_loads(clock: FakeClock) -> None:
    cache = ReportCache(None, settings(report_cache_l1_entries=0), clock=clock)
    origin = Origin()
    answers = [cache.get("summary", "org:1", period(), origin) for _ in range(3)]
    assert [a.value for a in answers] == [{"clicks": 1}, {"clicks": 2}, {"clicks": 3}]
    cache.invalidate("org:1")  # a local version bump, nothing to fail


def test_a_failing_redis_is_left_alone_for_the_breaker_window_and_warned_about_once(
        clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    down = DownRedis()
    cache = ReportCache(down, settings(), clock=clock, breaker_s=5)  # type: ignore[arg-type]
    origin = Origin()
    with caplog.at_level(logging.WARNING, logger="shared.caching"):
        for _ in range(10):
            cache.get("summary", "org:1", period(), origin)
        cache.invalidate("org:1")
        assert (down.calls, origin.calls) == (1, 1)  # the first version read failed; the L1 serves the rest
        clock.advance(5)
        assert not cache.get("summary", "org:1", period(), origin).hit  # the local version bump took effect
        assert down.calls == 2  # one probe after the window, failed again
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "Redis unavailable" in r.message]
    assert len(warnings) == 1
