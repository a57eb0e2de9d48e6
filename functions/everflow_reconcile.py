"""everflow-reconcile: daily, re-queue entities whose Everflow objects are missing, failed or stale."""

from __future__ import annotations

import logging

import functions_framework
from cloudevents.http import CloudEvent

from shared.services.everflow_reconcile import requeue_out_of_date

log = logging.getLogger(__name__)


@functions_framework.cloud_event
def everflow_reconcile(cloud_event: CloudEvent) -> None:
    log.info("everflow reconcile re-queued %d entities", requeue_out_of_date())
