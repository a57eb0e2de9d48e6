"""Pub/Sub push subscriptions for the chaos scenarios: at-least-once, concurrent, backed off, optionally doubled.

The local bus of `make run` (shared.events.publisher.LocalBus) delivers in order on one thread and
sleeps between retries; production's Eventarc subscriptions deliver concurrently, back off per
message (10 s to 600 s) and dead-letter after `max_delivery_attempts` (terraform: 10). This bus
keeps those rules on a compressed clock, and can deliver every message `copies` times with random
jitter, so copies and different messages arrive out of order, as Pub/Sub's redelivery does.
"""

from __future__ import annotations

import contextlib
import heapq
import importlib
import itertools
import logging
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from unittest import mock

from cloudevents.http import CloudEvent

from functions.registry import Trigger, event_functions
from shared.events import publisher
from shared.events.envelope import Envelope, encode_pubsub

log = logging.getLogger(__name__)
Handler = Callable[[CloudEvent], None]


def backoff_s(attempt: int, minimum_s: float, maximum_s: float) -> float:
    """Pub/Sub's exponential retry policy: the wait before delivery `attempt + 1` after `attempt` failed."""
    return float(min(minimum_s * 2 ** (attempt - 1), maximum_s))


@dataclass(order=True)
class _Delivery:
    due: float
    sequence: int
    message: int = field(compare=False)  # the message's place in publication order
    subscriber: str = field(compare=False)
    handler: Handler = field(compare=False)
    event: CloudEvent = field(compare=False)
    attempt: int = field(default=1, compare=False)


@dataclass
class PushBus:
    """A Publisher (shared.events.publisher) that pushes each message to every subscriber of its topic."""

    copies: int = 1  # deliveries of each message per subscriber, besides the retries of failed ones
    jitter_s: float = 0.0  # each copy is due at a random moment within this much of its publication
    workers: int = 4
    max_attempts: int = 10
    min_backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    seed: int = 7
    subscribers: dict[str, list[tuple[str, Handler]]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)  # published, delivered, failed, dead_lettered, ...
    received: Counter[tuple[str, int]] = field(default_factory=Counter)  # (subscriber, message) -> deliveries

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)  # an ordering for chaos, not a secret
        self._heap: list[_Delivery] = []
        self._sequence = itertools.count()
        self._previous: dict[str, int] = {}  # subscriber -> the message it received last
        self._pending = 0
        self._cond = threading.Condition()
        self._stopped = False
        self._threads = [threading.Thread(target=self._work, name=f"push-bus-{n}", daemon=True)
                         for n in range(self.workers)]
        for thread in self._threads:
            thread.start()

    def subscribe(self, topic: str, name: str, handler: Handler) -> None:
        self.subscribers.setdefault(topic, []).append((name, handler))

    def wire_functions(self) -> None:
        """Subscribe every Pub/Sub-triggered function of the registry, as Eventarc triggers do."""
        for spec in event_functions(Trigger.PUBSUB):
            assert spec.topic is not None
            self.subscribe(spec.topic, spec.name, getattr(importlib.import_module(spec.module), spec.entry_point))

    def publish(self, envelope: Envelope) -> str:
        message_id = uuid.uuid4().hex
        data = encode_pubsub(message_id, envelope.data(), envelope.attributes(), datetime.now(UTC))
        attributes = {"type": "google.cloud.pubsub.topic.v1.messagePublished", "id": message_id,
                      "source": f"//pubsub.googleapis.com/projects/local/topics/{envelope.topic}"}
        now = time.monotonic()
        with self._cond:
            message = self.counts["published"]
            self.counts["published"] += 1
            for name, handler in self.subscribers.get(envelope.topic, []):
                self.counts["subscriptions"] += 1
                for _ in range(self.copies):
                    due = now + self._rng.uniform(0, self.jitter_s)
                    self._push(_Delivery(due, next(self._sequence), message, name, handler,
                                         CloudEvent(attributes, data)))
        return message_id

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until no delivery is queued or running; False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.5))
        return True

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=60)

    def _push(self, delivery: _Delivery) -> None:
        """Queue a delivery; the caller holds the condition."""
        heapq.heappush(self._heap, delivery)
        self._pending += 1
        self._cond.notify_all()

    def _next(self) -> _Delivery | None:
        with self._cond:
            while not self._stopped:
                wait = self._heap[0].due - time.monotonic() if self._heap else 0.5
                if self._heap and wait <= 0:
                    return heapq.heappop(self._heap)
                self._cond.wait(min(wait, 0.5))
            return None

    def _work(self) -> None:
        while (delivery := self._next()) is not None:
            self._note(delivery)
            failed = self._run(delivery)
            with self._cond:
                self._pending -= 1
                if failed:
                    self._retry(delivery)
                self._cond.notify_all()

    def _note(self, delivery: _Delivery) -> None:
        """Count the delivery, and whether it came after a message published later than itself."""
        with self._cond:
            self.counts["delivered"] += 1
            self.received[delivery.subscriber, delivery.message] += 1
            self.counts["out_of_order"] += delivery.message < self._previous.get(delivery.subscriber, -1)
            self._previous[delivery.subscriber] = delivery.message

    def _run(self, delivery: _Delivery) -> bool:
        """Push one delivery; True when the subscriber failed it (not acknowledged)."""
        try:
            delivery.handler(delivery.event)
        except Exception as exc:  # a nack: Pub/Sub redelivers after its back-off
            log.info("%s failed attempt %d: %r", delivery.subscriber, delivery.attempt, exc)
            return True
        return False

    def _retry(self, delivery: _Delivery) -> None:
        """Redeliver after the back-off, or dead-letter after `max_attempts`; the caller holds the condition."""
        self.counts["failed"] += 1
        if delivery.attempt >= self.max_attempts:
            self.counts["dead_lettered"] += 1
            log.warning("dead-lettered after %d attempts: %s", delivery.attempt, delivery.subscriber)
            return
        due = time.monotonic() + backoff_s(delivery.attempt, self.min_backoff_s, self.max_backoff_s)
        self._push(_Delivery(due, next(self._sequence), delivery.message, delivery.subscriber, delivery.handler,
                             delivery.event, delivery.attempt + 1))


@contextlib.contextmanager
def installed(bus: PushBus) -> Iterator[PushBus]:
    """Make `bus` the publisher every outbox relay and after-commit publish of this process uses."""
    publisher.reset_publisher()
    try:
        # mock, because get_publisher() has no seam for another in-process bus: it builds local_bus().
        with mock.patch.object(publisher, "local_bus", return_value=bus):
            yield bus
    finally:
        publisher.reset_publisher()
        bus.stop()
