"""Rate limits shared through Redis (GCRA, one atomic script), with a per-instance fallback when it is down.

Every limit is a generic cell rate algorithm bucket: `limit` requests per `window_s`, a full burst
allowed, then one request every `window_s / limit`. A request spends one unit from every key it
names, or from none of them when any key is exhausted. Redis keeps one timestamp per key under
`rl:` that expires when the bucket is full again; its own clock is used, so instances never skew.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from hashlib import sha1
from uuid import UUID

import redis
from redis.exceptions import NoScriptError

from shared.cache import get_redis
from shared.config import get_settings
from shared.domain.principal import Principal
from shared.http.errors import HttpError

log = logging.getLogger(__name__)
Clock = Callable[[], float]
MICROS = 1_000_000
PREFIX = "rl:"
COOLDOWN_S = 5.0  # how long a failed Redis is left alone before one request probes it again
WARN_EVERY_S = 60.0

# KEYS[i] holds the theoretical arrival time (µs); ARGV[2i-1] is its limit, ARGV[2i] its interval (µs).
# Returns each key's backlog before this request; the caller derives the decision from them.
SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local backlogs, allowed = {}, true
for i, key in ipairs(KEYS) do
  local limit, interval = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  backlogs[i] = math.max((tonumber(redis.call('GET', key)) or 0) - now, 0)
  if backlogs[i] + interval > limit * interval then allowed = false end
end
if allowed then
  for i, key in ipairs(KEYS) do
    local backlog = backlogs[i] + tonumber(ARGV[2 * i])
    redis.call('SET', key, string.format('%.0f', now + backlog), 'PX', math.ceil(backlog / 1000))
  end
end
return backlogs
"""


@dataclass(frozen=True)
class LimitKey:
    """One budget a request spends from: `limit` requests per `window_s` seconds."""

    name: str
    limit: int
    window_s: float = 60.0

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_s * MICROS < self.limit:
            raise ValueError(f"unusable rate limit {self.limit}/{self.window_s}s for {self.name!r}")

    @property
    def interval_us(self) -> int:
        return math.ceil(self.window_s * MICROS / self.limit)

    @property
    def capacity_us(self) -> int:
        return self.limit * self.interval_us

    def admits(self, backlog_us: int) -> bool:
        return backlog_us + self.interval_us <= self.capacity_us


@dataclass(frozen=True)
class Decision:
    """The verdict on one request, reported for its most constrained key."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after: int | None = None

    def headers(self) -> dict[str, str]:
        """The IETF draft `RateLimit-*` headers, plus `Retry-After` on a denial."""
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
        }
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def decide(keys: Sequence[LimitKey], backlogs_us: Sequence[int]) -> Decision:
    """Judge a request from each key's backlog (how far its bucket is from full, in µs)."""
    pairs = list(zip(keys, backlogs_us, strict=True))
    denied = [(key, backlog) for key, backlog in pairs if not key.admits(backlog)]
    if denied:
        key, backlog = max(denied, key=lambda pair: _wait_us(*pair))
        return Decision(False, key.limit, 0, _seconds(backlog), _seconds(_wait_us(key, backlog)))
    key, backlog = min(pairs, key=lambda pair: (_remaining(*pair), -pair[1]))
    return Decision(True, key.limit, _remaining(key, backlog), _seconds(backlog + key.interval_us))


def _remaining(key: LimitKey, backlog_us: int) -> int:
    return (key.capacity_us - backlog_us - key.interval_us) // key.interval_us


def _wait_us(key: LimitKey, backlog_us: int) -> int:
    return backlog_us + key.interval_us - key.capacity_us


def _seconds(micros: int) -> int:
    return -(-micros // MICROS)


class LocalLimiter:
    """The same algorithm in this process's memory: the fallback when Redis is unreachable."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._arrivals: dict[str, int] = {}
        self._next_sweep = 0

    def spend(self, keys: Sequence[LimitKey]) -> list[int]:
        """Spend one unit from every key if all admit it; return the backlogs found."""
        with self._lock:
            now = int(self._clock() * MICROS)
            backlogs = [max(self._arrivals.get(key.name, 0) - now, 0) for key in keys]
            if all(key.admits(backlog) for key, backlog in zip(keys, backlogs, strict=True)):
                for key, backlog in zip(keys, backlogs, strict=True):
                    self._arrivals[key.name] = now + backlog + key.interval_us
            self._sweep(now)
            return backlogs

    def _sweep(self, now: int) -> None:
        """Forget full buckets now and then, so one-off IP addresses do not pile up."""
        if now < self._next_sweep:
            return
        self._arrivals = {name: at for name, at in self._arrivals.items() if at > now}
        self._next_sweep = now + 60 * MICROS


class RateLimiter:
    """Shared limits through Redis; per-instance limits while Redis is failing, retried after a cooldown."""

    def __init__(self, redis_client: redis.Redis | None = None, *, clock: Clock = time.monotonic,
                 cooldown_s: float = COOLDOWN_S) -> None:
        self._redis = redis_client
        self._clock = clock
        self._cooldown_s = cooldown_s
        self._local = LocalLimiter(clock)
        self._lock = threading.Lock()
        self._closed = True
        self._probe_at = 0.0
        self._warned_at: float | None = None

    def hit(self, keys: Sequence[LimitKey]) -> Decision:
        """Count one request against every key; decide on the most constrained one."""
        if not keys:
            raise ValueError("a request needs at least one rate-limit key")
        return decide(keys, self._spend(keys))

    def _spend(self, keys: Sequence[LimitKey]) -> list[int]:
        if self._may_use_redis():
            try:
                backlogs = run_script(self._redis or get_redis(), keys)
            except (redis.RedisError, OSError) as exc:
                self._redis_failed(exc)
            else:
                self._redis_succeeded()
                return backlogs
        return self._local.spend(keys)

    def _may_use_redis(self) -> bool:
        """Closed circuit: yes. Open: only the one caller that claims the next probe."""
        if self._closed:
            return True
        with self._lock:
            now = self._clock()
            if now < self._probe_at:
                return False
            self._probe_at = now + self._cooldown_s
            return True

    def _redis_failed(self, exc: Exception) -> None:
        with self._lock:
            now = self._clock()
            self._closed = False
            self._probe_at = now + self._cooldown_s
            if self._warned_at is not None and now - self._warned_at < WARN_EVERY_S:
                return
            self._warned_at = now
        log.warning("Redis unavailable for rate limits, counting per instance: %s", type(exc).__name__,
                    extra={"fields": {"error": str(exc), "cooldown_s": self._cooldown_s}})

    def _redis_succeeded(self) -> None:
        if self._closed:
            return
        with self._lock:
            recovered, self._closed = not self._closed, True
        if recovered:
            log.info("Redis is back: rate limits are shared again")


def run_script(client: redis.Redis, keys: Sequence[LimitKey]) -> list[int]:
    """Run the limiter script in one round trip (EVALSHA, or EVAL when the server lacks it)."""
    names = [PREFIX + key.name for key in keys]
    args = [number for key in keys for number in (key.limit, key.interval_us)]
    try:
        result = client.evalsha(_script_sha(), len(names), *names, *args)
    except NoScriptError:
        result = client.eval(SCRIPT, len(names), *names, *args)
    return [int(backlog) for backlog in result]


@cache
def _script_sha() -> str:
    return sha1(SCRIPT.encode(), usedforsecurity=False).hexdigest()


@cache
def get_rate_limiter() -> RateLimiter:
    """The process's limiter, on the platform's Redis client; built on first use."""
    return RateLimiter()


def raise_if_denied(decision: Decision) -> None:
    """Answer 429 with `Retry-After` and the `RateLimit-*` headers when the request is over a limit."""
    if not decision.allowed:
        raise HttpError(429, "rate_limited", f"Too many requests; retry in {decision.retry_after} seconds.",
                        headers=decision.headers())


def user_key(user_id: UUID | str) -> LimitKey:
    return LimitKey(f"user:{user_id}", get_settings().rate_limit_user_per_minute)


def organization_key(organization_id: int) -> LimitKey:
    return LimitKey(f"org:{organization_id}", get_settings().rate_limit_organization_per_minute)


def ip_key(address: str) -> LimitKey:
    return LimitKey(f"ip:{_client_block(address)}", get_settings().rate_limit_ip_per_minute)


def _client_block(address: str) -> str:
    """An IPv4 address counts alone; IPv6 counts per /64, the block one client usually holds."""
    text = address.strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return text[:64] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is None:
            return str(ipaddress.IPv6Network((ip, 64), strict=False))
        return str(ip.ipv4_mapped)
    return str(ip)


def keys_for(principal: Principal | None, client_ip: str) -> list[LimitKey]:
    """A signed-in caller spends from their own and their organization's budgets; anyone else per IP."""
    if principal is None:
        return [ip_key(client_ip)]
    keys = [user_key(principal.user_id)]
    if principal.organization_id is not None:
        keys.append(organization_key(principal.organization_id))
    return keys
