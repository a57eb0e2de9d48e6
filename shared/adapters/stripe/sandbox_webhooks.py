"""Webhook delivery: signed POSTs to registered endpoints from a background thread, like Stripe's.

Modes: "immediate" (every event is queued as it happens, delivered in creation order) and "manual"
(events are only stored; tests deliver them with `deliver`). Options: `duplicate_rate` sends some
events twice, `shuffle` delivers whatever is pending in random order. Non-2xx answers and refused
connections are retried a few times with a short back-off.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import requests

from shared.adapters.stripe.sandbox_state import Json

RETRY_DELAYS_S = (0.05, 0.2, 0.8)  # Stripe's test mode retries three times over hours; tests cannot wait
SHUFFLE_GATHER_S = 0.05  # how long a shuffled batch waits for more events to mix in
MODES = ("immediate", "manual")


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header Stripe would send for `payload`: `t=<unix>,v1=<hex HMAC-SHA256>`."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str


class Deliverer:
    """The queue of events to send and the thread that sends them."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.endpoints: list[Endpoint] = []
        self.mode = "immediate"
        self.duplicate_rate = 0.0
        self.shuffle = False
        self.attempts: list[Json] = []
        self._queue: deque[tuple[int, Json]] = deque()
        self._busy = False
        self._generation = 0
        self._cond = threading.Condition()
        self._stopped = False
        self._http = requests.Session()
        self._rng = random.Random()  # noqa: S311 - chaos for tests, not cryptography
        self._thread = threading.Thread(target=self._run, name="stripe-sandbox-webhooks", daemon=True)
        self._thread.start()

    def add_endpoint(self, url: str, secret: str) -> None:
        with self._cond:
            self.endpoints.append(Endpoint(url, secret))

    def configure(self, mode: str | None = None, *, duplicate_rate: float | None = None,
                  shuffle: bool | None = None) -> None:
        with self._cond:
            if mode is not None:
                if mode not in MODES:
                    raise ValueError(f"mode must be one of {MODES}")
                self.mode = mode
            if duplicate_rate is not None:
                self.duplicate_rate = min(max(float(duplicate_rate), 0.0), 1.0)
            if shuffle is not None:
                self.shuffle = bool(shuffle)

    def on_event(self, event: Json) -> None:
        """Called as each event is created (under the store's lock): queue it when delivering immediately."""
        with self._cond:
            event["pending_webhooks"] = len(self.endpoints)
            if self.mode == "immediate" and self.endpoints:
                self._put(event, 2 if self._rng.random() < self.duplicate_rate else 1)

    def deliver(self, event: Json, times: int = 1) -> None:
        """Queue `event` for (re)delivery `times` times, whatever the mode."""
        with self._cond:
            self._put(event, times)

    def _put(self, event: Json, times: int) -> None:
        for _ in range(max(times, 0)):
            self._queue.append((self._generation, event))
        self._cond.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until nothing is queued or being sent; False when `timeout` passed first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def log(self) -> list[Json]:
        """A copy of every delivery attempt so far."""
        with self._cond:
            return list(self.attempts)

    def reset(self) -> None:
        """Forget endpoints, queued events, attempts and options; deliveries in flight are dropped."""
        with self._cond:
            self._generation += 1
            self._queue.clear()
            self.endpoints.clear()
            self.attempts.clear()
            self.mode, self.duplicate_rate, self.shuffle = "immediate", 0.0, False
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._thread.join(timeout=5)
        self._http.close()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                return
            try:
                for generation, event in batch:
                    self._send(generation, event)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _next_batch(self) -> list[tuple[int, Json]] | None:
        with self._cond:
            while not self._queue and not self._stopped:
                self._cond.wait()
            if self._stopped:
                return None
            self._busy = True
            shuffle = self.shuffle
        if not shuffle:
            with self._cond:
                return [self._queue.popleft()] if self._queue else []
        time.sleep(SHUFFLE_GATHER_S)  # let the rest of a burst arrive, then mix it
        with self._cond:
            batch = list(self._queue)
            self._queue.clear()
        self._rng.shuffle(batch)
        return batch

    def _send(self, generation: int, event: Json) -> None:
        with self._cond:
            endpoints = list(self.endpoints)
        payload = json.dumps(event).encode()
        for endpoint in endpoints:
            for attempt, delay in enumerate((*RETRY_DELAYS_S, None), start=1):
                with self._cond:
                    if generation != self._generation:
                        return
                status, error = self._post(endpoint, payload)
                with self._cond:
                    self.attempts.append({"event": event["id"], "type": event["type"], "url": endpoint.url,
                                          "attempt": attempt, "status": status, "error": error,
                                          "at": self.clock()})
                if status is not None and 200 <= status < 300:
                    break
                if delay is not None:
                    time.sleep(delay)

    def _post(self, endpoint: Endpoint, payload: bytes) -> tuple[int | None, str | None]:
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                   "Stripe-Signature": sign(payload, endpoint.secret, int(self.clock()))}
        try:
            response = self._http.post(endpoint.url, data=payload, headers=headers, timeout=10)
        except requests.RequestException as exc:
            return None, type(exc).__name__
        return response.status_code, None
