"""Pub/Sub and Cloud Scheduler for `make run` and the tests: in-process, with production semantics."""

from __future__ import annotations

import importlib
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from cloudevents.http import CloudEvent

from functions.registry import FunctionSpec, Trigger, event_functions
from shared.events.publisher import LocalBus

log = logging.getLogger(__name__)


def entry_point(spec: FunctionSpec) -> Callable[[CloudEvent], None]:
    handler: Callable[[CloudEvent], None] = getattr(importlib.import_module(spec.module), spec.entry_point)
    return handler


def wire_subscribers(bus: LocalBus) -> None:
    """Subscribe every Pub/Sub-triggered function of the registry to its topic."""
    for spec in event_functions(Trigger.PUBSUB):
        assert spec.topic is not None
        bus.subscribe(spec.topic, spec.name, entry_point(spec))


def scheduler_tick(spec: FunctionSpec) -> CloudEvent:
    """The CloudEvent a Cloud Scheduler job posts to its function (terraform/modules/scheduler)."""
    source = f"//cloudscheduler.googleapis.com/projects/local/locations/local/jobs/schedule-{spec.name}"
    return CloudEvent({"type": "google.cloud.scheduler.job.v1.executed", "id": uuid.uuid4().hex,
                       "time": datetime.now(UTC).isoformat(), "source": source}, {})


def start_scheduler(stop: threading.Event) -> list[threading.Thread]:
    """Fire each scheduled function every `local_every_s` seconds until `stop` is set."""
    threads = []
    for spec in event_functions(Trigger.SCHEDULE):
        thread = threading.Thread(target=_repeat, args=(spec, stop), name=f"schedule-{spec.name}", daemon=True)
        thread.start()
        threads.append(thread)
    return threads


def _repeat(spec: FunctionSpec, stop: threading.Event) -> None:
    handler = entry_point(spec)
    while not stop.wait(spec.local_every_s or 60):
        try:
            handler(scheduler_tick(spec))
        except Exception:  # a failed run is retried at the next tick, as Cloud Scheduler would
            log.exception("scheduled function %s failed", spec.name)
