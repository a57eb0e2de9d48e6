"""usage-billing: daily at 02:15 UTC, record, price and charge every organization's usage of the previous day."""

from __future__ import annotations

import datetime as dt

import functions_framework
from cloudevents.http import CloudEvent

from shared.services.usage_billing import run_daily_usage


@functions_framework.cloud_event
def usage_billing(cloud_event: CloudEvent) -> None:
    run_daily_usage(dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1))
