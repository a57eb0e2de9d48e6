"""outbox-relay: every minute, publish outbox events that were committed but not yet published."""

from __future__ import annotations

import logging

import functions_framework
from cloudevents.http import CloudEvent

from shared.events.relay import publish_pending

log = logging.getLogger(__name__)


@functions_framework.cloud_event
def outbox_relay(cloud_event: CloudEvent) -> None:
    published, failed = publish_pending()
    if published or failed:
        log.info("outbox relay published %d, failed %d", published, failed)
