"""Moving committed outbox rows to the publisher: right after commit, and on a schedule for stragglers."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from shared.events.publisher import Publisher, get_publisher

log = logging.getLogger(__name__)
BATCH = 100


def publish_pending(*, publisher: Publisher | None = None, limit: int = BATCH,
                    event_ids: Sequence[str] | None = None) -> tuple[int, int]:
    """Publish unpublished events (all, or just `event_ids`); return (published, failed).

    Rows stay locked while they are published, so two relays never publish the same row at once;
    a failed publish leaves the row for the next run.
    """
    publisher = publisher or get_publisher()
    published = failed = 0
    with UnitOfWork(TenantScope.everything()) as uow:
        for envelope in uow.outbox.claim_unpublished(limit=limit, event_ids=event_ids):
            try:
                publisher.publish(envelope)
            except Exception as exc:  # any broker failure: keep the row for the relay
                log.warning("publish failed for %s: %s", envelope.event_id, exc.__class__.__name__)
                uow.outbox.mark_failed(envelope.event_id, repr(exc))
                failed += 1
                continue
            uow.outbox.mark_published(envelope.event_id)
            published += 1
        uow.commit()
    return published, failed


def publish_after_commit(event_ids: Sequence[str]) -> None:
    """Best effort right after a commit; the scheduled relay catches whatever this misses."""
    try:
        publish_pending(event_ids=event_ids, limit=len(event_ids))
    except Exception:  # the change is committed; never fail the request over its events
        log.exception("publishing after commit failed; the relay will retry")
