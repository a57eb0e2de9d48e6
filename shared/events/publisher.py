"""Publishing envelopes: Google Pub/Sub in production, an in-process bus for `make run` and tests."""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Protocol

from cloudevents.http import CloudEvent

from shared.config import get_settings
from shared.events.envelope import Envelope, encode_pubsub

log = logging.getLogger(__name__)
Subscriber = Callable[[CloudEvent], None]


class Publisher(Protocol):
    def publish(self, envelope: Envelope) -> str:
        """Publish and wait for the broker's acknowledgement; return the message id or raise."""


class PubSubPublisher:
    """google-cloud-pubsub, imported on first use; every publish future is awaited."""

    def __init__(self, project: str, timeout_s: float = 10.0) -> None:
        from google.cloud import pubsub_v1

        self._client = pubsub_v1.PublisherClient()
        self._project = project
        self._timeout_s = timeout_s

    def publish(self, envelope: Envelope) -> str:
        topic = self._client.topic_path(self._project, envelope.topic)
        future = self._client.publish(topic, envelope.data(), **envelope.attributes())
        return str(future.result(timeout=self._timeout_s))


@dataclass
class _Delivery:
    subscriber: str
    handler: Subscriber
    event: CloudEvent
    attempt: int = 1


@dataclass
class LocalBus:
    """Pub/Sub semantics in one process: at-least-once delivery to every subscriber of a topic,
    redelivery with backoff while the handler raises, dead letters after `max_attempts`."""

    subscribers: dict[str, list[tuple[str, Subscriber]]] = field(default_factory=dict)
    max_attempts: int = 5
    backoff_s: float = 0.05
    dead_letters: list[tuple[str, CloudEvent]] = field(default_factory=list)
    copies: int = 1  # chaos: deliver every message this many times

    def __post_init__(self) -> None:
        self._queue: queue.Queue[_Delivery] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        threading.Thread(target=self._work, name="local-pubsub", daemon=True).start()

    def subscribe(self, topic: str, name: str, handler: Subscriber) -> None:
        self.subscribers.setdefault(topic, []).append((name, handler))

    def publish(self, envelope: Envelope) -> str:
        message_id = uuid.uuid4().hex
        data = encode_pubsub(message_id, envelope.data(), envelope.attributes(), datetime.now(UTC))
        attributes = {"type": "google.cloud.pubsub.topic.v1.messagePublished", "id": message_id,
                      "source": f"//pubsub.googleapis.com/projects/local/topics/{envelope.topic}"}
        for name, handler in self.subscribers.get(envelope.topic, []):
            for _ in range(self.copies):
                self._enqueue(_Delivery(name, handler, CloudEvent(attributes, data)))
        return message_id

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        """Block until every delivery (and redelivery) has finished; False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._idle.wait(remaining):
                    return False
        return True

    def _enqueue(self, delivery: _Delivery) -> None:
        with self._idle:
            self._pending += 1
        self._queue.put(delivery)

    def _work(self) -> None:
        while True:
            delivery = self._queue.get()
            try:
                self._deliver(delivery)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, delivery: _Delivery) -> None:
        try:
            delivery.handler(delivery.event)
        except Exception as exc:
            if delivery.attempt >= self.max_attempts:
                log.exception("dead-lettered after %d attempts: %s", delivery.attempt, delivery.subscriber)
                self.dead_letters.append((delivery.subscriber, delivery.event))
                return
            log.warning("redelivering to %s (attempt %d) after %r", delivery.subscriber, delivery.attempt + 1, exc)
            time.sleep(self.backoff_s * 2 ** (delivery.attempt - 1))
            self._enqueue(_Delivery(delivery.subscriber, delivery.handler, delivery.event, delivery.attempt + 1))


@cache
def get_publisher() -> Publisher:
    """Pub/Sub when EVENT_BUS=pubsub, else the in-process bus (its subscribers are wired by functions.local)."""
    settings = get_settings()
    if settings.event_bus == "pubsub":
        return PubSubPublisher(settings.gcp_project or "")
    return local_bus()


@cache
def local_bus() -> LocalBus:
    return LocalBus()


def reset_publisher() -> None:
    get_publisher.cache_clear()


