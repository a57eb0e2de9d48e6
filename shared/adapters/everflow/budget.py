"""Everflow's request budget: one token bucket in Redis shared by every instance, a local share when it is down.

Everflow limits requests per network, whatever the number of our instances, so they draw from one
bucket: `rate` tokens a second, at most `capacity` saved up. A caller reserves its token in advance
(the bucket may go into debt) when it comes within its deadline, then sleeps until its turn: one
atomic script per acquire, no polling. The hash expires once the bucket would be full again.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

import redis

from shared.adapters.everflow.errors import EverflowBudgetExhaustedError

log = logging.getLogger(__name__)
Clock = Callable[[], float]
MICROS = 1_000_000
DEFAULT_KEY = "everflow:budget"
COOLDOWN_S = 5.0  # how long a failed Redis is left alone before one caller probes it again
FALLBACK_SHARE = 0.25  # while Redis is down each instance assumes a few others spend the budget too

# KEYS[1]: hash {tokens, at (µs, Redis's clock)}. ARGV: rate (tokens/s), capacity, longest acceptable wait (µs).
# Takes one token when it is due within the wait, going into debt if needed; returns {granted, wait µs}.
SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local rate, capacity, max_wait = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]) or capacity, tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(now - at, 0) * rate / 1000000)
local wait = math.max(math.ceil((1 - tokens) * 1000000 / rate), 0)
if wait > max_wait then return {0, wait} end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) * 1000 / rate) + 1000)
return {1, wait}
"""


def _check(rate: float, capacity: float) -> None:
    if rate <= 0 or capacity < 1:
        raise ValueError(f"unusable token bucket: {rate}/s, capacity {capacity}")


class TokenBucket:
    """The bucket in this process's memory: the fallback while Redis is unreachable."""

    def __init__(self, rate: float, capacity: float, *, clock: Clock = time.monotonic) -> None:
        _check(rate, capacity)
        self.rate, self.capacity = rate, capacity
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens, self._at = capacity, clock()

    def reserve(self, max_wait_s: float) -> float | None:
        """Take a token due within `max_wait_s`; return the wait until it is due, None when it is further off."""
        with self._lock:
            now = self._clock()
            tokens = min(self.capacity, self._tokens + max(now - self._at, 0.0) * self.rate)
            wait = max((1 - tokens) / self.rate, 0.0)
            if wait > max_wait_s:
                return None
            self._tokens, self._at = tokens - 1, now
            return wait


class RedisTokenBucket:
    """The bucket in Redis, on Redis's clock, shared by every instance that names the same key."""

    def __init__(self, client: redis.Redis, rate: float, capacity: float, *, key: str = DEFAULT_KEY) -> None:
        _check(rate, capacity)
        self.rate, self.capacity, self.key = rate, capacity, key
        self._script = client.register_script(SCRIPT)  # EVALSHA, loading the script when the server lacks it

    def reserve(self, max_wait_s: float) -> float | None:
        """Take a token due within `max_wait_s`; return the wait until it is due, None when it is further off."""
        max_wait_us = math.floor(max_wait_s * MICROS)
        granted, wait_us = self._script(keys=[self.key], args=[self.rate, self.capacity, max_wait_us])
        return int(wait_us) / MICROS if int(granted) else None


class SharedBudget:
    """Everflow's request budget for every instance; a smaller per-instance bucket while Redis is failing."""

    def __init__(self, client: redis.Redis, *, rate: float, burst: float | None = None, key: str = DEFAULT_KEY,
                 fallback_share: float = FALLBACK_SHARE, cooldown_s: float = COOLDOWN_S,
                 clock: Clock = time.monotonic, sleep: Callable[[float], None] = time.sleep) -> None:
        capacity = burst if burst is not None else max(rate, 1.0)  # by default one second's worth
        self._shared = RedisTokenBucket(client, rate, capacity, key=key)
        self._local = TokenBucket(rate * fallback_share, max(capacity * fallback_share, 1.0), clock=clock)
        self._cooldown_s = cooldown_s
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._redis_down = False
        self._probe_at = 0.0

    def acquire(self, timeout_s: float = 30.0) -> None:
        """Block until one request may go out; raise at once when that is more than `timeout_s` away."""
        wait = self._reserve(timeout_s)
        if wait is None:
            raise EverflowBudgetExhaustedError(f"no Everflow request budget within {timeout_s:g}s")
        if wait > 0:
            self._sleep(wait)

    def _reserve(self, max_wait_s: float) -> float | None:
        if self._may_use_redis():
            try:
                wait = self._shared.reserve(max_wait_s)
            except (redis.RedisError, OSError) as exc:
                self._redis_failed(exc)
            else:
                self._redis_succeeded()
                return wait
        return self._local.reserve(max_wait_s)

    def _may_use_redis(self) -> bool:
        """Healthy: yes. Failing: only the one caller that claims the next probe after the cooldown."""
        with self._lock:
            now = self._clock()
            if now < self._probe_at:
                return False
            if self._redis_down:
                self._probe_at = now + self._cooldown_s
            return True

    def _redis_failed(self, exc: Exception) -> None:
        with self._lock:
            self._probe_at = self._clock() + self._cooldown_s
            newly_down, self._redis_down = not self._redis_down, True
        if newly_down:
            log.warning("Redis unavailable for the Everflow budget, spending a per-instance share: %s",
                        type(exc).__name__, extra={"fields": {"error": str(exc), "cooldown_s": self._cooldown_s}})

    def _redis_succeeded(self) -> None:
        if not self._redis_down:
            return
        with self._lock:
            recovered, self._redis_down, self._probe_at = self._redis_down, False, 0.0
        if recovered:
            log.info("Redis is back: the Everflow budget is shared again")
