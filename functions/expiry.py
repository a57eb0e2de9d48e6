"""expiry: every 15 minutes, invitations and agency delegations past their expiry become expired."""

from __future__ import annotations

import logging

import functions_framework
from cloudevents.http import CloudEvent

from shared.services.expiry import expire_lapsed

log = logging.getLogger(__name__)


@functions_framework.cloud_event
def expiry(cloud_event: CloudEvent) -> None:
    report = expire_lapsed()
    if report.invitations or report.delegations:
        log.info("expiry: %d invitations, %d agency delegations expired", report.invitations, report.delegations)
