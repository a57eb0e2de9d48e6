"""The Pub/Sub handler kit: decode, drop stale, claim the message id once, classify failures."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps

from cloudevents.http import CloudEvent

from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from shared.events.envelope import Message, decode_pubsub
from shared.repositories.processed_messages import ProcessedMessageRepository

log = logging.getLogger(__name__)
MAX_AGE = timedelta(days=3)


class PermanentFailure(Exception):
    """Retrying cannot help (bad data, a rule refused it): record it and acknowledge the message."""


def pubsub_handler(subscriber: str, *, max_age: timedelta = MAX_AGE) -> Callable[
        [Callable[[Message], None]], Callable[[CloudEvent], None]]:
    """Wrap `handle(message)` with Pub/Sub's at-least-once rules.

    A message id already processed by this subscriber is acknowledged without running again; one
    older than `max_age` is dropped; `PermanentFailure` is recorded and acknowledged; any other
    exception propagates, so Pub/Sub redelivers (and dead-letters after its maximum attempts).
    The handler's own effects must be idempotent too: the claim is recorded after they commit.
    """
    def decorate(handle: Callable[[Message], None]) -> Callable[[CloudEvent], None]:
        @wraps(handle)
        def run(event: CloudEvent) -> None:
            message = decode_pubsub(event.data or {})
            if _stale(message, max_age):
                log.warning("dropping %s: older than %s", message.message_id, max_age)
                return
            if _already_processed(subscriber, message.message_id):
                return
            try:
                handle(message)
            except PermanentFailure as exc:
                log.error("permanent failure in %s for %s: %s", subscriber, message.message_id, exc)
                _record(subscriber, message.message_id, "permanent_failure", str(exc))
                return
            _record(subscriber, message.message_id, "done", None)
        return run
    return decorate


def _stale(message: Message, max_age: timedelta) -> bool:
    return message.published_at is not None and datetime.now(UTC) - message.published_at > max_age


def _already_processed(subscriber: str, message_id: str) -> bool:
    with UnitOfWork(TenantScope.everything()) as uow:
        return ProcessedMessageRepository(uow.session).seen(subscriber, message_id)


def _record(subscriber: str, message_id: str, outcome: str, detail: str | None) -> None:
    with UnitOfWork(TenantScope.everything()) as uow:
        ProcessedMessageRepository(uow.session).record(subscriber, message_id, outcome, detail)
        uow.commit()
