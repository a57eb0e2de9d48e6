"""The pure parts of the dependency-fault scenarios of `make chaos`: back-off, ordering, convergence, dispatch."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from cloudevents.http import CloudEvent

from benchmarks.chaos.dependencies import NAMES, run
from benchmarks.chaos.dependencies_bus import PushBus, backoff_s
from benchmarks.chaos.dependencies_catalogue import Census, Shape
from benchmarks.chaos.dependencies_stripe import reordered


def test_backoff_doubles_from_the_minimum_up_to_the_maximum() -> None:
    assert [backoff_s(n, 1.0, 10.0) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]


def test_a_delivery_after_a_later_event_counts_as_reordered() -> None:
    events = [{"id": name} for name in "abcd"]
    assert reordered(events, [{"event": name} for name in "abcd"]) == 0
    assert reordered(events, [{"event": name} for name in "abbdcd"]) == 1
    assert reordered(events, [{"event": name} for name in "dcba"]) == 3


def census(**changes: object) -> Census:
    fields = {"entities": {"advertiser": 2}, "unsynced": {"advertiser": 0}, "objects": {"advertiser": 2},
              "duplicates": 0, "orphans": 0, "links_without_url": 0, "links": 3} | changes
    return Census(**fields)


@pytest.mark.parametrize("changes", [
    {"unsynced": {"advertiser": 1}}, {"objects": {"advertiser": 1}}, {"objects": {"advertiser": 3}},
    {"duplicates": 1}, {"orphans": 1}, {"links_without_url": 1},
], ids=["unsynced", "missing object", "extra object", "duplicate", "orphan", "link without URL"])
def test_any_gap_between_the_database_and_everflow_is_not_converged(changes: dict[str, object]) -> None:
    assert census().converged
    assert not census(**changes).converged


def test_a_shape_counts_every_entity_and_link() -> None:
    shape = Shape(advertisers=2, affiliates=3, campaigns_per_advertiser=2, links_per_campaign=2)
    assert shape.entities == 2 + 3 + 4 + 8


def test_unknown_scenarios_are_refused_before_anything_starts() -> None:
    assert NAMES == ("everflow-faults", "pubsub-redelivery", "stripe-events")
    with pytest.raises(ValueError, match="unknown scenarios: nope"):
        run(["nope"])


def test_the_bus_redelivers_a_failed_message_and_delivers_every_copy() -> None:
    bus = PushBus(copies=2, jitter_s=0.01, workers=2, min_backoff_s=0.01, max_backoff_s=0.02)
    seen: list[str] = []
    lock = threading.Lock()

    def flaky(event: CloudEvent) -> None:
        with lock:
            seen.append(event["id"])
            if len(seen) == 1:
                raise ConnectionError("first attempt fails")

    bus.subscribe("topic", "flaky", flaky)
    envelope = SimpleNamespace(topic="topic", data=lambda: b"{}", attributes=lambda: {"event_type": "x.y"})
    bus.publish(envelope)
    assert bus.wait_idle(5)
    bus.stop()
    assert len(seen) == 3 and len(set(seen)) == 1
    assert (bus.counts["failed"], bus.counts["dead_lettered"], bus.counts["subscriptions"]) == (1, 0, 1)
    assert list(bus.received.values()) == [3]
