"""The Everflow request budget against a real Redis: shared across instances, expiring, falling back."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from shared.adapters.everflow.budget import SharedBudget
from shared.adapters.everflow.errors import EverflowBudgetExhaustedError

DEAD_REDIS = "redis://127.0.0.1:1/0"


class FakeTime:
    """A clock and a sleep that only move each other, so fallback waits are exact and instant."""

    def __init__(self) -> None:
        self.now = 1_000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def client_of(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    connection = client_of(redis_url)
    yield connection
    connection.close()


@pytest.fixture
def key() -> str:
    return f"everflow:budget:test:{uuid.uuid4()}"


def most_in_any_window(times: list[float], window_s: float) -> int:
    ordered = sorted(times)
    return max(sum(1 for other in ordered[i:] if other < start + window_s) for i, start in enumerate(ordered))


def test_two_instances_sharing_one_key_never_exceed_the_rate(redis_url: str, key: str) -> None:
    rate, burst, threads_per_instance, calls = 100.0, 5.0, 4, 15
    budgets = [SharedBudget(client_of(redis_url), rate=rate, burst=burst, key=key) for _ in range(2)]
    sent: list[float] = []
    start = threading.Barrier(2 * threads_per_instance)

    def worker(budget: SharedBudget) -> None:
        start.wait()
        for _ in range(calls):
            budget.acquire(10.0)
            sent.append(time.monotonic())

    threads = [threading.Thread(target=worker, args=(budget,)) for budget in budgets * threads_per_instance]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = len(sent)
    assert total == 2 * threads_per_instance * calls
    assert max(sent) - began >= (total - burst) / rate - 0.02  # the budget really held them back
    for window_s in (0.1, 0.25, 0.5):
        slack = 3  # a thread woken a few ms late can bunch with the next ones
        assert most_in_any_window(sent, window_s) <= burst + rate * window_s + slack


def test_the_bucket_expires_on_its_own(client: redis.Redis, key: str) -> None:
    SharedBudget(client, rate=20.0, burst=10.0, key=key).acquire()
    ttl_ms = client.pttl(key)
    assert 0 < ttl_ms <= 50 + 1_000  # one token short refills in 50 ms, plus a second's grace


def test_a_token_further_off_than_the_deadline_fails_at_once_and_spends_nothing(client: redis.Redis,
                                                                                 key: str) -> None:
    fake = FakeTime()
    budget = SharedBudget(client, rate=1.0, burst=1.0, key=key, sleep=fake.sleep)
    budget.acquire()
    stored = client.hgetall(key)
    started = time.perf_counter()
    with pytest.raises(EverflowBudgetExhaustedError):
        budget.acquire(timeout_s=0.5)
    assert time.perf_counter() - started < 0.5
    assert client.hgetall(key) == stored
    budget.acquire(timeout_s=2.0)
    [wait] = fake.sleeps
    assert 0.8 < wait <= 1.0


def test_the_script_is_loaded_again_after_the_server_forgets_it(client: redis.Redis, key: str) -> None:
    budget = SharedBudget(client, rate=100.0, burst=3.0, key=key)
    budget.acquire()
    client.script_flush()
    budget.acquire()
    assert float(client.hget(key, "tokens") or 0) < 2


def test_a_dead_redis_falls_back_to_a_per_instance_share(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeTime()
    budget = SharedBudget(client_of(DEAD_REDIS), rate=20.0, burst=20.0, fallback_share=0.25,
                          clock=fake.clock, sleep=fake.sleep)
    started = time.perf_counter()
    with caplog.at_level("WARNING", logger="shared.adapters.everflow.budget"):
        for _ in range(10):
            budget.acquire()
    assert time.perf_counter() - started < 1
    assert fake.sleeps == pytest.approx([0.2] * 5)  # a burst of 5, then 5 a second: a quarter of 20
    assert len(caplog.records) == 1


def test_the_fallback_also_refuses_what_it_cannot_grant_in_time() -> None:
    fake = FakeTime()
    budget = SharedBudget(client_of(DEAD_REDIS), rate=4.0, burst=4.0, clock=fake.clock, sleep=fake.sleep)
    budget.acquire()
    with pytest.raises(EverflowBudgetExhaustedError):
        budget.acquire(timeout_s=0.5)  # one token a second while Redis is away
