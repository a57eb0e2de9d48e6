from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis

from shared.http.ratelimit import PREFIX, LimitKey, RateLimiter, get_rate_limiter

HOUR = 3_600.0  # long windows: no unit refills while a test runs, so counts are exact


class FakeClock:
    """The limiter's own clock (circuit breaker and fallback); Redis keeps its own time."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Relay:
    """A TCP relay in front of the test Redis whose link can be cut and restored, like a network outage."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.up = True
        self.connections = 0
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self.up = False
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._sockets.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self._listener.close()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self._listener.accept()
                self.connections += 1
                if not self.up:
                    client.close()
                    continue
                upstream = socket.create_connection(self.target)
                self._sockets += [client, upstream]
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65_536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_RDWR)


def client_of(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connection = client_of(redis_url)
    yield connection
    connection.close()


@pytest.fixture
def relay(redis_url: str) -> Iterator[Relay]:
    parts = urlsplit(redis_url)
    relay = Relay((parts.hostname or "127.0.0.1", parts.port or 6379))
    yield relay
    relay.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def fresh(kind: str, limit: int, window_s: float = HOUR) -> LimitKey:
    return LimitKey(f"{kind}:{uuid.uuid4()}", limit, window_s)


def allowed(limiter: RateLimiter, times: int, *keys: LimitKey) -> list[bool]:
    return [limiter.hit(keys).allowed for _ in range(times)]


def test_the_limit_is_reached_then_denied_with_retry_after(client: redis.Redis) -> None:
    limiter = RateLimiter(client)
    key = fresh("user", 3)
    assert [limiter.hit([key]).remaining for _ in range(3)] == [2, 1, 0]
    denied = limiter.hit([key])
    assert not denied.allowed
    assert denied.headers() == {
        "RateLimit-Limit": "3",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "3600",
        "Retry-After": "1200",
    }


def test_buckets_live_under_the_rl_prefix_and_expire_on_their_own(client: redis.Redis) -> None:
    key = fresh("ip", 60, window_s=60)
    RateLimiter(client).hit([key])
    ttl_ms = client.pttl(PREFIX + key.name)
    assert 0 < ttl_ms <= 1_000  # one request out of 60 a minute drains in one second


def test_one_exhausted_key_denies_the_request_and_spends_from_no_key(client: redis.Redis) -> None:
    limiter = RateLimiter(client)
    user, org = fresh("user", 10), fresh("org", 2)
    assert allowed(limiter, 5, user, org) == [True, True, False, False, False]
    stored = client.get(PREFIX + user.name)
    assert not limiter.hit([org, user]).allowed
    assert client.get(PREFIX + user.name) == stored
    assert limiter.hit([user]).remaining == 7  # only the two admitted requests were counted


def test_two_instances_on_one_redis_share_the_budget(redis_url: str) -> None:
    first, second = RateLimiter(client_of(redis_url)), RateLimiter(client_of(redis_url))
    org = fresh("org", 4)
    assert allowed(first, 3, org) == [True, True, True]
    assert second.hit([org]).remaining == 0
    assert allowed(first, 1, org) + allowed(second, 1, org) == [False, False]


def test_threads_hammering_two_instances_get_exactly_the_limit(redis_url: str) -> None:
    instances = [RateLimiter(client_of(redis_url)) for _ in range(2)]
    key = fresh("user", 50)
    results: list[bool] = []
    start = threading.Barrier(16)

    def worker(limiter: RateLimiter) -> None:
        start.wait()
        results.extend(allowed(limiter, 25, key))

    threads = [threading.Thread(target=worker, args=(instances[n % 2],)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(results), sum(results)) == (400, 50)


def test_the_script_is_loaded_again_after_the_server_forgets_it(client: redis.Redis) -> None:
    limiter = RateLimiter(client)
    key = fresh("user", 5)
    limiter.hit([key])
    client.script_flush()
    assert limiter.hit([key]).remaining == 3


def test_the_default_limiter_uses_the_platform_redis(monkeypatch: pytest.MonkeyPatch, redis_url: str,
                                                     client: redis.Redis) -> None:
    from shared.cache import reset_redis
    from shared.config import get_settings

    monkeypatch.setenv("REDIS_URL", redis_url)
    get_settings.cache_clear()
    reset_redis()
    get_rate_limiter.cache_clear()
    key = fresh("ip", 60, window_s=60)
    try:
        assert get_rate_limiter().hit([key]).allowed
        assert client.exists(PREFIX + key.name)
    finally:
        get_rate_limiter.cache_clear()
        reset_redis()
        get_settings.cache_clear()


def test_with_redis_down_each_instance_keeps_serving_on_its_own_limits(clock: FakeClock) -> None:
    instances = [RateLimiter(client_of("redis://127.0.0.1:1/0"), clock=clock) for _ in range(2)]
    key = fresh("user", 3)
    started = time.perf_counter()
    outcomes = [allowed(limiter, 4, key) for limiter in instances]
    assert outcomes == [[True, True, True, False]] * 2
    assert time.perf_counter() - started < 1


def test_shared_limits_resume_when_redis_comes_back(relay: Relay, clock: FakeClock) -> None:
    url = f"redis://127.0.0.1:{relay.port}/0"
    first, second = RateLimiter(client_of(url), clock=clock), RateLimiter(client_of(url), clock=clock)
    key = fresh("org", 4)
    assert allowed(first, 2, key) + allowed(second, 1, key) == [True] * 3  # 3 of 4 spent in Redis

    relay.cut()
    assert allowed(first, 5, key) == [True, True, True, True, False]  # a budget of its own
    assert allowed(second, 5, key) == [True, True, True, True, False]
    probes = relay.connections
    relay.restore()
    allowed(first, 10, key)
    assert relay.connections == probes  # within the cooldown nobody knocks on Redis again

    clock.advance(5)
    assert first.hit([key]).remaining == 0  # back on the shared budget: the 4th of 4
    assert not second.hit([key]).allowed
    other = fresh("user", 10)
    assert allowed(first, 3, other) == [True] * 3
    assert second.hit([other]).remaining == 6  # and it stays shared after the first probe
