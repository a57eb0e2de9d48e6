"""Fault injection and the rate-limit window of the Everflow sandbox, deterministic by call counter.

Injected faults (429 after N calls, 5xx, delays, hangs) apply to the `/v1` calls whose path starts
with one of `paths` (all of them when empty), counted from the moment the settings were applied.
The rate-limit window counts every `/v1` call, like Everflow's per-network counters that reset
every `rate_window_s` seconds; with no `rate_limit` it only reports a nominal limit in the headers.
"""

from __future__ import annotations

import dataclasses
import math
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.adapters.everflow.sandbox_fields import Json, bad_request

NOMINAL_WINDOW_S = 30.0


@dataclass(frozen=True)
class FaultSettings:
    """What goes wrong, and for how long. The defaults inject nothing."""

    throttle_after: int | None = None  # calls that pass before 429s begin
    throttle_times: int | None = None  # how many 429s then (None: until reset)
    retry_after_s: int | None = 1  # Retry-After on 429s (None: send none, as Everflow documents none)
    error_rate: float = 0.0  # fraction of calls answered with error_status: call n fails when ⌊n·r⌋ grows
    error_times: int | None = None  # stop after this many injected errors
    error_status: int = 500
    delay_ms: int = 0  # added to every call
    hang_ms: int = 0  # hold calls this long, past the client's read timeout
    hang_times: int | None = None  # how many calls hang (None: all)
    hang_after_processing: bool = False  # hang after the call took effect (a lost answer), not before
    rate_limit: int | None = None  # requests per window; over it -> 429 until the window resets
    rate_window_s: float = NOMINAL_WINDOW_S
    paths: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> FaultSettings:
        if not isinstance(data, dict):
            raise bad_request("fault settings must be an object")
        names = {item.name for item in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise bad_request(f"unknown fault settings: {', '.join(unknown)}")
        for name, value in data.items():
            _check(name, value)
        return cls(**{**data, "paths": tuple(data.get("paths") or ())})

    def as_json(self) -> Json:
        return {**dataclasses.asdict(self), "paths": list(self.paths)}


_OPTIONAL_COUNTS = frozenset({"throttle_after", "throttle_times", "retry_after_s", "error_times",
                              "hang_times", "rate_limit"})
_COUNTS = frozenset({"delay_ms", "hang_ms", "error_status"})


def _check(name: str, value: Any) -> None:
    is_count = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    is_fraction = isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1
    valid = {
        "error_rate": is_fraction,
        "rate_window_s": isinstance(value, int | float) and not isinstance(value, bool) and value > 0,
        "hang_after_processing": isinstance(value, bool),
        "paths": isinstance(value, list | tuple) and all(isinstance(item, str) for item in value),
    }.get(name, is_count or (value is None and name in _OPTIONAL_COUNTS))
    if not valid:
        raise bad_request(f"invalid value for fault setting {name}")


@dataclass(frozen=True)
class Plan:
    """What the sandbox does to one call."""

    throttle: bool = False
    error_status: int | None = None
    delay_s: float = 0.0
    hang_s: float = 0.0
    hang_after: bool = False


@dataclass(frozen=True)
class WindowStatus:
    """The call's place in the rate-limit window, for the X-RateLimit-* headers and the 429."""

    limit: int
    remaining: int
    reset_s: int
    exceeded: bool


class Faults:
    """The runtime fault switchboard of one sandbox; every method is thread-safe."""

    def __init__(self, clock: Callable[[], float], nominal_limit: int) -> None:
        self._clock = clock
        self._nominal_limit = nominal_limit
        self._lock = threading.Lock()
        self._settings = FaultSettings()
        self._counts: Counter[str] = Counter()
        self._window: tuple[int, int] = (-1, 0)  # (window index, calls in it)
        self._release = threading.Event()

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    def set(self, settings: FaultSettings | None = None, **fields: Any) -> FaultSettings:
        """Replace every setting (omitted ones go back to their defaults) and restart the counters."""
        new = settings if settings is not None else FaultSettings.from_json(fields)
        with self._lock:
            self._settings = new
            self._counts.clear()
            self._window = (-1, 0)
        return new

    def reset(self) -> None:
        """No faults, no rate limit, and every held (hanging or delayed) call answered now."""
        self.set(FaultSettings())
        self.release()

    def release(self) -> None:
        with self._lock:
            release, self._release = self._release, threading.Event()
        release.set()

    def wait(self, seconds: float) -> None:
        """Sleep, but wake up early when the faults are reset or the sandbox stops."""
        if seconds > 0:
            self._release.wait(seconds)

    def counters(self) -> Json:
        with self._lock:
            return {name: self._counts[name] for name in ("calls", "throttled", "errors", "hangs")}

    def window(self) -> WindowStatus:
        """Count one call in the current fixed window."""
        settings = self._settings
        limit = settings.rate_limit if settings.rate_limit is not None else self._nominal_limit
        length = settings.rate_window_s if settings.rate_limit is not None else NOMINAL_WINDOW_S
        now = self._clock()
        index = math.floor(now / length)
        with self._lock:
            used = (self._window[1] if self._window[0] == index else 0) + 1
            self._window = (index, used)
        return WindowStatus(limit=limit, remaining=max(limit - used, 0),
                            reset_s=max(math.ceil((index + 1) * length - now), 1),
                            exceeded=settings.rate_limit is not None and used > limit)

    def plan(self, path: str) -> Plan:
        """Decide this call's faults from the counters, atomically."""
        settings = self._settings
        if settings.paths and not path.startswith(settings.paths):
            return Plan()
        with self._lock:
            self._counts["calls"] += 1
            return Plan(throttle=self._take_throttle(settings), error_status=self._take_error(settings),
                        delay_s=settings.delay_ms / 1000, hang_s=self._take_hang(settings),
                        hang_after=settings.hang_after_processing)

    def _take_throttle(self, settings: FaultSettings) -> bool:
        if settings.throttle_after is None or self._counts["calls"] <= settings.throttle_after:
            return False
        return self._take("throttled", settings.throttle_times)

    def _take_error(self, settings: FaultSettings) -> int | None:
        calls, rate = self._counts["calls"], settings.error_rate
        if math.floor(calls * rate + 1e-9) == math.floor((calls - 1) * rate + 1e-9):
            return None
        return settings.error_status if self._take("errors", settings.error_times) else None

    def _take_hang(self, settings: FaultSettings) -> float:
        if not settings.hang_ms:
            return 0.0
        return settings.hang_ms / 1000 if self._take("hangs", settings.hang_times) else 0.0

    def _take(self, counter: str, limit: int | None) -> bool:
        if limit is not None and self._counts[counter] >= limit:
            return False
        self._counts[counter] += 1
        return True
