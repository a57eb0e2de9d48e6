"""Everflow failures as typed exceptions, parsed from its `{"Error": ...}` or `{"error": ...}` bodies and headers."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

MAX_MESSAGE = 500  # an HTML error page from a proxy should not flood the logs
EPOCH_CUTOFF = 1_000_000_000  # a reset header above this is a Unix time, below it a number of seconds


class EverflowError(Exception):
    """A failed Everflow call; `status` is the HTTP status, None when no response came back."""

    transient: bool = False  # worth trying again later (retry here, or let Pub/Sub redeliver)
    unprocessed: bool = False  # Everflow certainly did not act on it, so even a create may be repeated

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None,
                 unprocessed: bool | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after  # seconds Everflow asked us to wait, when it said so
        if unprocessed is not None:
            self.unprocessed = unprocessed

    def __str__(self) -> str:
        return self.message if self.status is None else f"Everflow {self.status}: {self.message}"


class EverflowValidationError(EverflowError):
    """400/422: the payload was refused; sending it again will not help."""


class EverflowAuthError(EverflowError):
    """401/403: the API key is missing, wrong, or of the wrong portal."""


class EverflowNotFoundError(EverflowError):
    """404: no such id (or path)."""


class EverflowRateLimitedError(EverflowError):
    """429: over the network's rate limit; the request was not processed."""

    transient = True
    unprocessed = True


class EverflowServerError(EverflowError):
    """5xx: Everflow failed; it may or may not have acted on the request."""

    transient = True


class EverflowTimeoutError(EverflowError):
    """No answer within the connect or read timeout."""

    transient = True


class EverflowConnectionError(EverflowError):
    """The connection failed or dropped before an answer came back."""

    transient = True


class EverflowBudgetExhaustedError(EverflowError):
    """Our own request budget has no token within the caller's deadline; nothing was sent."""

    transient = True
    unprocessed = True


def error_class(status: int) -> type[EverflowError]:
    """The exception type for an HTTP error status."""
    if status >= 500:
        return EverflowServerError
    by_status: dict[int, type[EverflowError]] = {
        400: EverflowValidationError,
        422: EverflowValidationError,
        401: EverflowAuthError,
        403: EverflowAuthError,
        404: EverflowNotFoundError,
        429: EverflowRateLimitedError,
    }
    return by_status.get(status, EverflowError)


def error_from_response(status: int, body: str, *, retry_after: float | None = None) -> EverflowError:
    """Translate an error response into its typed exception."""
    return error_class(status)(error_message(body, status), status=status, retry_after=retry_after)


def error_message(body: str, status: int) -> str:
    """Everflow's message, under `Error` or `error` (both are seen in the wild), else the raw body."""
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        for key, value in parsed.items():
            if isinstance(key, str) and key.lower() == "error" and value:
                text = value if isinstance(value, str) else json.dumps(value)
                return text[:MAX_MESSAGE]
    return body.strip()[:MAX_MESSAGE] or f"HTTP {status}"


def retry_after_s(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """The wait Everflow asks for: `Retry-After` (seconds or a date), else a rate-limit reset header."""
    if value := headers.get("Retry-After"):
        return _seconds_or_date(value, now())
    for name in ("X-RateLimit-Reset", "RateLimit-Reset"):
        if value := headers.get(name):
            return _seconds_or_epoch(value, now())
    return None


def _seconds_or_date(value: str, now: float) -> float | None:
    if (number := _finite(value)) is not None:
        return max(number, 0.0)
    try:
        return max(parsedate_to_datetime(value).timestamp() - now, 0.0)
    except (TypeError, ValueError):
        return None


def _seconds_or_epoch(value: str, now: float) -> float | None:
    if (number := _finite(value)) is None:
        return None
    return max(number - now if number > EPOCH_CUTOFF else number, 0.0)


def _finite(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
