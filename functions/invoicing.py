"""invoicing: daily at 06:00 UTC, invoice last month's usage of the postpaid accounts whose invoice day is today."""

from __future__ import annotations

import datetime as dt
import logging

import functions_framework
from cloudevents.http import CloudEvent

from shared.services.invoicing import run_monthly_invoices

log = logging.getLogger(__name__)


@functions_framework.cloud_event
def invoicing(cloud_event: CloudEvent) -> None:
    run = run_monthly_invoices(dt.datetime.now(dt.UTC).date())
    log.info("invoicing: %d accounts due, %d invoiced, %d already, %d failed",
             run.accounts, run.invoiced, run.already_invoiced, run.failed)
