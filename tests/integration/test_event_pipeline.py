"""Outbox -> publisher -> subscribers: published after commit, nothing for a rollback, the relay
catches what a failed publish left behind, and handlers run once per message id."""

from __future__ import annotations

import base64
import json

import pytest
from cloudevents.http import CloudEvent

from shared.db.uow import UnitOfWork
from shared.domain.events import DomainEvent
from shared.domain.principal import TenantScope
from shared.events.envelope import Envelope, Message
from shared.events.handlers import PermanentFailure, pubsub_handler
from shared.events.publisher import LocalBus
from shared.events.relay import publish_pending

TOPIC = "test-topic"


@pytest.fixture
def bus(monkeypatch) -> LocalBus:
    from shared.events import publisher

    bus = LocalBus(backoff_s=0.001)
    monkeypatch.setattr(publisher, "local_bus", lambda: bus)
    publisher.reset_publisher()
    yield bus
    publisher.reset_publisher()


def write_event(org: int, *, commit: bool = True) -> None:
    with UnitOfWork(TenantScope.only(org)) as uow:
        uow.outbox.add(DomainEvent("thing.created", "thing", "7", org, version=1, payload={"n": 1}, topic=TOPIC))
        if commit:
            uow.commit()


def test_a_committed_event_is_published_and_delivered(env, make_org, sql, bus) -> None:
    received: list[dict[str, object]] = []
    bus.subscribe(TOPIC, "collector", lambda e: received.append(e.data))
    write_event(make_org())
    assert bus.wait_idle(5)
    body = json.loads(base64.b64decode(received[0]["message"]["data"]))
    assert (body["event_type"], body["aggregate_id"], body["payload"]) == ("thing.created", "7", {"n": 1})
    assert sql("SELECT count(*) AS n FROM outbox WHERE published_at IS NOT NULL") == [{"n": 1}]


def test_a_rolled_back_write_leaves_no_event(env, make_org, sql, bus) -> None:
    received: list[object] = []
    bus.subscribe(TOPIC, "collector", received.append)
    write_event(make_org(), commit=False)
    assert bus.wait_idle(5)
    assert received == []
    assert sql("SELECT count(*) AS n FROM outbox") == [{"n": 0}]


class FlakyPublisher:
    def __init__(self) -> None:
        self.healthy = False
        self.sent: list[Envelope] = []

    def publish(self, envelope: Envelope) -> str:
        if not self.healthy:
            raise ConnectionError("broker down")
        self.sent.append(envelope)
        return envelope.event_id


def test_the_relay_publishes_what_a_failed_publish_left_behind(env, make_org, sql, monkeypatch) -> None:
    from shared.events import publisher

    broker = FlakyPublisher()
    monkeypatch.setattr(publisher, "get_publisher", lambda: broker)
    monkeypatch.setattr("shared.events.relay.get_publisher", lambda: broker)
    write_event(make_org())  # the publish right after commit fails; the write stands
    assert sql("SELECT attempts, published_at FROM outbox")[0]["published_at"] is None
    broker.healthy = True
    assert publish_pending() == (1, 0)
    assert publish_pending() == (0, 0)
    assert len(broker.sent) == 1
    assert sql("SELECT attempts FROM outbox") == [{"attempts": 2}]


def pubsub_event(message_id: str, body: dict[str, object]) -> CloudEvent:
    data = {"message": {"data": base64.b64encode(json.dumps(body).encode()).decode(), "messageId": message_id,
                        "publishTime": "2099-01-01T00:00:00Z", "attributes": {}}}
    return CloudEvent({"type": "google.cloud.pubsub.topic.v1.messagePublished", "source": "//test", "id": message_id},
                      data)


def test_a_handler_runs_once_per_message_id_whatever_the_redeliveries(env) -> None:
    seen: list[str] = []

    @pubsub_handler("counter")
    def count(message: Message) -> None:
        seen.append(message.message_id)

    for _ in range(3):
        count(pubsub_event("m-1", {"event_type": "x"}))
    count(pubsub_event("m-2", {"event_type": "x"}))
    assert seen == ["m-1", "m-2"]


def test_transient_failures_raise_for_redelivery_and_permanent_ones_are_recorded(env, sql) -> None:
    attempts: list[int] = []

    @pubsub_handler("picky")
    def flaky(message: Message) -> None:
        attempts.append(1)
        if message.body["kind"] == "transient" and len(attempts) < 2:
            raise TimeoutError("try again")
        if message.body["kind"] == "permanent":
            raise PermanentFailure("bad data")

    with pytest.raises(TimeoutError):
        flaky(pubsub_event("t-1", {"kind": "transient"}))
    flaky(pubsub_event("t-1", {"kind": "transient"}))
    flaky(pubsub_event("p-1", {"kind": "permanent"}))
    flaky(pubsub_event("p-1", {"kind": "permanent"}))
    outcomes = {r["message_id"]: r["outcome"] for r in sql("SELECT message_id, outcome FROM processed_messages")}
    assert outcomes == {"t-1": "done", "p-1": "permanent_failure"}
    assert len(attempts) == 3


def test_the_local_bus_redelivers_then_dead_letters(env) -> None:
    bus = LocalBus(max_attempts=3, backoff_s=0.001)
    calls: list[int] = []

    def always_fails(event: CloudEvent) -> None:
        calls.append(1)
        raise RuntimeError("boom")

    bus.subscribe(TOPIC, "doomed", always_fails)
    bus.publish(Envelope("e1", TOPIC, "x", "thing", "1", 1, None, {}, __import__("datetime").datetime.now()))
    assert bus.wait_idle(5)
    assert len(calls) == 3
    assert [name for name, _ in bus.dead_letters] == ["doomed"]
