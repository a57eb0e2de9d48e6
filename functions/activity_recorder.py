"""activity-recorder: catalogue events from Pub/Sub become entries of their organization's activity feed."""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent

from shared.events.envelope import Message
from shared.events.handlers import pubsub_handler


@pubsub_handler("activity-recorder")
def handle(message: Message) -> None:
    """Record the activity this event stands for, once."""


@functions_framework.cloud_event
def activity_recorder(cloud_event: CloudEvent) -> None:
    handle(cloud_event)
