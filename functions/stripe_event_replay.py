"""stripe-event-replay: every 10 minutes, replay failed Stripe events and settle payments whose webhook is missing."""

from __future__ import annotations

import logging

import functions_framework
from cloudevents.http import CloudEvent

from shared.services.stripe_events import reconcile_stale_payments, replay_failed

log = logging.getLogger(__name__)
STALE_AFTER_S = 15 * 60  # Stripe delivers within seconds; a payment open this long has likely lost its event


@functions_framework.cloud_event
def stripe_event_replay(cloud_event: CloudEvent) -> None:
    report = replay_failed(limit=200, max_attempts=10)
    settled = reconcile_stale_payments(STALE_AFTER_S, limit=200)
    if report.replayed or report.failed or settled:
        log.info("stripe replay: %d replayed, %d still failing, %d stale payments settled",
                 report.replayed, report.failed, settled)
