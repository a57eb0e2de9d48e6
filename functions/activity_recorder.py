"""activity-recorder: catalogue events from Pub/Sub become entries of their organization's activity feed."""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent

from shared.db.uow import UnitOfWork
from shared.domain.activities import EventRecord
from shared.domain.principal import TenantScope
from shared.events.envelope import Message
from shared.events.handlers import pubsub_handler
from shared.services.activities import record_event


@pubsub_handler("activity-recorder")
def handle(message: Message) -> None:
    """Record the activity this event stands for, once; database errors propagate, so Pub/Sub redelivers."""
    record_event(EventRecord.from_body(message.body, message.message_id), uow=UnitOfWork(TenantScope.everything()))


@functions_framework.cloud_event
def activity_recorder(cloud_event: CloudEvent) -> None:
    handle(cloud_event)
