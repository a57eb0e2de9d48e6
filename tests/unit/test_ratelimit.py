from __future__ import annotations

import logging
import sys
import threading
import uuid
from collections.abc import Iterator, Sequence

import flask
import pytest
import redis
from werkzeug.test import EnvironBuilder

from shared.domain.principal import Principal
from shared.domain.roles import Role
from shared.http.errors import HttpError
from shared.http.ratelimit import (
    Decision,
    LimitKey,
    LocalLimiter,
    RateLimiter,
    decide,
    ip_key,
    keys_for,
    raise_if_denied,
)
from shared.http.router import Call, Router


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class DeadRedis(redis.Redis):
    """A real client of a port nobody listens on, counting how often it is asked to run the script."""

    def __init__(self) -> None:
        # built from a URL like shared.cache's client, so it fails at once instead of retrying
        super().__init__(connection_pool=redis.ConnectionPool.from_url("redis://127.0.0.1:1/0"))
        self.attempts = 0

    def evalsha(self, *args: object) -> object:  # type: ignore[override]
        self.attempts += 1
        return super().evalsha(*args)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def local(clock: FakeClock) -> LocalLimiter:
    return LocalLimiter(clock)


def hit(limiter: LocalLimiter, *keys: LimitKey) -> Decision:
    return decide(keys, limiter.spend(keys))


def hits(limiter: LocalLimiter, times: int, *keys: LimitKey) -> list[Decision]:
    return [hit(limiter, *keys) for _ in range(times)]


def test_a_key_allows_its_whole_limit_at_once_then_denies(local: LocalLimiter) -> None:
    key = LimitKey("user:a", 5)
    decisions = hits(local, 6, key)
    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0]


def test_a_denial_says_when_to_retry_and_carries_the_ratelimit_headers(local: LocalLimiter) -> None:
    key = LimitKey("user:a", 5)
    hits(local, 5, key)
    denied = hit(local, key)
    assert denied == Decision(allowed=False, limit=5, remaining=0, reset_seconds=60, retry_after=12)
    assert denied.headers() == {
        "RateLimit-Limit": "5",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": "60",
        "Retry-After": "12",
    }


def test_an_allowed_request_has_ratelimit_headers_but_no_retry_after(local: LocalLimiter) -> None:
    decision = hit(local, LimitKey("ip:10.0.0.1", 60))
    assert decision.headers() == {"RateLimit-Limit": "60", "RateLimit-Remaining": "59", "RateLimit-Reset": "1"}


def test_retry_after_is_exactly_when_the_next_request_is_admitted(local: LocalLimiter, clock: FakeClock) -> None:
    key = LimitKey("user:a", 5)
    hits(local, 5, key)
    retry_after = hit(local, key).retry_after
    assert retry_after is not None
    clock.advance(retry_after - 0.001)
    assert not hit(local, key).allowed
    clock.advance(0.001)
    assert hit(local, key).allowed
    assert not hit(local, key).allowed


def test_the_budget_refills_steadily_and_never_beyond_the_limit(local: LocalLimiter, clock: FakeClock) -> None:
    key = LimitKey("user:a", 6)
    hits(local, 6, key)
    clock.advance(30)
    assert sum(d.allowed for d in hits(local, 6, key)) == 3
    clock.advance(3_600)
    assert sum(d.allowed for d in hits(local, 10, key)) == 6


def test_denied_requests_do_not_spend_the_budget(local: LocalLimiter, clock: FakeClock) -> None:
    key = LimitKey("ip:10.0.0.1", 2)
    hits(local, 2, key)
    hits(local, 50, key)
    clock.advance(30)
    assert hit(local, key).allowed


def test_one_exhausted_key_denies_the_request_and_spends_from_no_key(local: LocalLimiter) -> None:
    user, org = LimitKey("user:a", 10), LimitKey("org:1", 2)
    assert [d.allowed for d in hits(local, 5, user, org)] == [True, True, False, False, False]
    assert hit(local, user).remaining == 7  # only the two admitted requests were counted


def test_the_decision_reports_the_most_constrained_key(local: LocalLimiter) -> None:
    user, org = LimitKey("user:a", 100), LimitKey("org:1", 3)
    decision = hit(local, user, org)
    assert (decision.limit, decision.remaining) == (3, 2)


def test_a_denial_waits_for_the_key_that_frees_up_last(local: LocalLimiter) -> None:
    slow, fast = LimitKey("org:1", 1, window_s=600), LimitKey("user:a", 1, window_s=60)
    hit(local, slow)
    hit(local, fast)
    decision = hit(local, fast, slow)
    assert (decision.allowed, decision.limit, decision.retry_after) == (False, 1, 600)


def test_keys_are_independent(local: LocalLimiter) -> None:
    hits(local, 3, LimitKey("ip:10.0.0.1", 3))
    assert hit(local, LimitKey("ip:10.0.0.2", 3)).remaining == 2


@pytest.fixture
def eager_thread_switches() -> Iterator[None]:
    """Switch threads every microsecond, so an unguarded read-then-write would interleave."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


@pytest.mark.usefixtures("eager_thread_switches")
def test_threads_hammering_one_key_get_exactly_the_limit(local: LocalLimiter) -> None:
    key = LimitKey("user:a", 1_000)
    allowed: list[bool] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        allowed.extend(hit(local, key).allowed for _ in range(250))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(allowed), sum(allowed)) == (2_000, 1_000)


@pytest.mark.parametrize("limit", [0, -1])
def test_a_limit_below_one_is_refused(limit: int) -> None:
    with pytest.raises(ValueError, match="unusable rate limit"):
        LimitKey("user:a", limit)


def test_a_request_without_keys_is_a_programming_error(clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="at least one"):
        RateLimiter(DeadRedis(), clock=clock).hit([])


def test_raise_if_denied_lets_allowed_requests_through() -> None:
    raise_if_denied(Decision(allowed=True, limit=5, remaining=4, reset_seconds=12))


def test_raise_if_denied_answers_429_with_retry_after() -> None:
    with pytest.raises(HttpError) as error:
        raise_if_denied(Decision(allowed=False, limit=5, remaining=0, reset_seconds=60, retry_after=12))
    assert (error.value.status, error.value.code) == (429, "rate_limited")
    assert error.value.headers["Retry-After"] == "12"
    assert error.value.headers["RateLimit-Remaining"] == "0"


def test_the_router_renders_a_denial_as_json_429_with_the_headers(local: LocalLimiter) -> None:
    key = LimitKey("ip:10.0.0.1", 1)
    router = Router("limited", tag="Test")

    @router.route("GET", "/ping", action=None, summary="limited")
    def ping(call: Call) -> dict[str, str]:
        raise_if_denied(hit(local, key))
        return {"pong": "yes"}

    def send() -> flask.Response:
        return router.dispatch(flask.Request(EnvironBuilder(method="GET", path="/ping").get_environ()))

    assert send().status_code == 200
    response = send()
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    assert response.headers["Retry-After"] == "60"
    assert response.headers["RateLimit-Limit"] == "1"


@pytest.fixture
def limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from shared.config import get_settings

    monkeypatch.setenv("RATE_LIMIT_USER_PER_MINUTE", "11")
    monkeypatch.setenv("RATE_LIMIT_ORGANIZATION_PER_MINUTE", "22")
    monkeypatch.setenv("RATE_LIMIT_IP_PER_MINUTE", "7")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_an_anonymous_caller_is_limited_per_ip_from_settings(limits: None) -> None:
    assert keys_for(None, "203.0.113.9") == [LimitKey("ip:203.0.113.9", 7)]


def test_a_signed_in_caller_spends_from_their_user_and_organization_budgets(limits: None) -> None:
    user_id = uuid.uuid4()
    principal = Principal(user_id, Role.USER, organization_id=42)
    assert keys_for(principal, "203.0.113.9") == [LimitKey(f"user:{user_id}", 11), LimitKey("org:42", 22)]


def test_a_caller_without_an_organization_spends_from_their_user_budget_only(limits: None) -> None:
    user_id = uuid.uuid4()
    assert keys_for(Principal(user_id, Role.USER, organization_id=None), "203.0.113.9") == [
        LimitKey(f"user:{user_id}", 11)
    ]


@pytest.mark.parametrize(("first", "second"), [
    ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9"),
    ("::ffff:198.51.100.7", "198.51.100.7"),
    (" 198.51.100.7", "198.51.100.7"),
])
def test_addresses_of_one_client_share_an_ip_budget(limits: None, first: str, second: str) -> None:
    assert ip_key(first) == ip_key(second)


def test_neighbouring_ipv6_networks_have_their_own_budgets(limits: None) -> None:
    assert ip_key("2001:db8:1:2::1") != ip_key("2001:db8:1:3::1")


def test_without_redis_the_limiter_keeps_serving_with_per_instance_limits(clock: FakeClock) -> None:
    limiter = RateLimiter(DeadRedis(), clock=clock)
    key = LimitKey("user:a", 3)
    assert [limiter.hit([key]).allowed for _ in range(4)] == [True, True, True, False]


def test_a_failed_redis_is_left_alone_until_the_cooldown_ends(clock: FakeClock) -> None:
    dead = DeadRedis()
    limiter = RateLimiter(dead, clock=clock, cooldown_s=5)
    key = LimitKey("user:a", 1_000)
    send(limiter, 20, key)
    assert dead.attempts == 1
    clock.advance(4.9)
    send(limiter, 20, key)
    assert dead.attempts == 1
    clock.advance(0.1)
    send(limiter, 20, key)
    assert dead.attempts == 2


def test_the_outage_warning_is_logged_at_most_once_a_minute(clock: FakeClock,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter(DeadRedis(), clock=clock, cooldown_s=5)
    key = LimitKey("user:a", 1_000)
    with caplog.at_level(logging.WARNING, logger="shared.http.ratelimit"):
        for _ in range(12):  # one failed probe every 5 s for a minute
            send(limiter, 3, key)
            clock.advance(5)
        assert len(caplog.records) == 1
        send(limiter, 1, key)
    assert len(caplog.records) == 2
    assert "per instance" in caplog.records[0].getMessage()


def send(limiter: RateLimiter, times: int, *keys: LimitKey) -> Sequence[Decision]:
    return [limiter.hit(keys) for _ in range(times)]
