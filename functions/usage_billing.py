"""usage-billing: daily at 02:15 UTC, record, price and charge every organization's usage of the previous day.

Also `python -m functions.usage_billing [--day YYYY-MM-DD]` for an operator (e.g. a day again after an
Everflow outage): safe to repeat, a day already charged charges nothing. Prints what the run did as JSON.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys

import functions_framework
from cloudevents.http import CloudEvent

from shared.http.logs import configure_logging
from shared.services.usage_billing import run_daily_usage


def yesterday() -> dt.date:
    return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)


@functions_framework.cloud_event
def usage_billing(cloud_event: CloudEvent) -> None:
    run_daily_usage(yesterday())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m functions.usage_billing",
                                     description="Record, price and charge one UTC day's usage; safe to repeat.")
    parser.add_argument("--day", type=dt.date.fromisoformat, default=yesterday(), help="default: yesterday (UTC)")
    args = parser.parse_args(argv)
    configure_logging()
    run = run_daily_usage(args.day)
    sys.stdout.write(json.dumps(dataclasses.asdict(run), default=_plain) + "\n")
    return 0


def _plain(value: object) -> object:
    return sorted(value) if isinstance(value, set) else str(value)


if __name__ == "__main__":
    sys.exit(main())
