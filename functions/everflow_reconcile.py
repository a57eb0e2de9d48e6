"""everflow-reconcile: daily, re-queue entities whose Everflow objects are missing, failed, stale or drifted."""

from __future__ import annotations

import logging

import functions_framework
from cloudevents.http import CloudEvent

from shared.services.everflow_reconcile import requeue_drifted, requeue_links_without_url, requeue_out_of_date

log = logging.getLogger(__name__)


@functions_framework.cloud_event
def everflow_reconcile(cloud_event: CloudEvent) -> None:
    stale = requeue_out_of_date()
    drifted = requeue_drifted()
    links = requeue_links_without_url()
    log.info("everflow reconcile re-queued %d stale and %d drifted entities, %d links without a URL",
             stale, drifted, links)
