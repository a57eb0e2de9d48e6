"""everflow-sync: catalogue events from Pub/Sub become Everflow advertisers, affiliates, offers and links."""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent

from shared.domain.provider_mappings import EntityKind
from shared.events.envelope import Message
from shared.events.handlers import PermanentFailure, pubsub_handler
from shared.services.everflow_sync import SyncFailed, generate_tracking_url, sync_entity

SYNCED = {"advertiser": EntityKind.ADVERTISER, "affiliate": EntityKind.AFFILIATE, "campaign": EntityKind.CAMPAIGN}


@pubsub_handler("everflow-sync")
def handle(message: Message) -> None:
    """Other events on the topic (billing, activities) are acknowledged untouched. Transient Everflow errors
    propagate (Pub/Sub redelivers); refusals are recorded and acknowledged."""
    aggregate, _, verb = message.event_type.partition(".")
    try:
        if aggregate in SYNCED:
            sync_entity(SYNCED[aggregate], int(message.body["aggregate_id"]))
        elif aggregate == "tracking_link" and (verb in {"created", "resync_requested"}
                                                or message.body["payload"].get("parameters_changed")):
            generate_tracking_url(int(message.body["aggregate_id"]))
    except SyncFailed as exc:
        raise PermanentFailure(str(exc)) from exc


@functions_framework.cloud_event
def everflow_sync(cloud_event: CloudEvent) -> None:
    handle(cloud_event)
