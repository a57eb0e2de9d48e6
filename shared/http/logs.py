"""Structured JSON logs in the shape Cloud Logging reads from stdout."""

from __future__ import annotations

import json
import logging
import re
import sys
from functools import cache
from typing import Any

from shared.config import get_settings

TRACE_HEADER = re.compile(r"^([0-9a-f]{32})(?:/(\d+))?")
TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "message": record.getMessage(),
            "logger": record.name,
            "time": f"{self.formatTime(record, '%Y-%m-%dT%H:%M:%S')}.{int(record.msecs):03d}Z",
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the current `sys.stdout`, which servers and test runners may replace."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


@cache
def configure_logging() -> None:
    """Send every log record to stdout as one JSON line; idempotent."""
    handler = StdoutHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(get_settings().log_level.upper())


def trace_fields(headers: Any, project: str | None) -> dict[str, str]:
    """The trace and span Cloud Logging correlates on, from X-Cloud-Trace-Context or traceparent."""
    match = TRACEPARENT.match(headers.get("traceparent", "")) or TRACE_HEADER.match(
        headers.get("X-Cloud-Trace-Context", "")
    )
    if not match:
        return {}
    trace_id, span_id = match.group(1), match.group(2)
    trace = f"projects/{project}/traces/{trace_id}" if project else trace_id
    fields = {"logging.googleapis.com/trace": trace}
    if span_id:
        fields["logging.googleapis.com/spanId"] = span_id
    return fields
