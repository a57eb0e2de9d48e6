"""Every Stripe event we received, claimed by id in the transaction that applies it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.adapters.stripe.webhooks import StripeEvent
from shared.db.session import Row, Session
from shared.domain.ledger import StripeEventStatus

COLUMNS = ("stripe_event_id, event_type, stripe_created, status, payload, organization_id, attempts, error_message,"
           " received_at, processed_at")
# The claim: a new id is ours; a failed one is ours again (a replay); any other existing row is a
# duplicate. A concurrent claim of the same id waits on the row until our transaction ends, then
# sees it processed (no row returned) or, if we rolled back, inserts it itself.
CLAIM = """
INSERT INTO stripe_events (stripe_event_id, event_type, stripe_created, status, payload)
VALUES (:id, :type, :created, 'processed', CAST(:payload AS JSONB))
ON CONFLICT (stripe_event_id) DO UPDATE SET attempts = stripe_events.attempts + 1, status = 'processed',
    error_message = NULL
WHERE stripe_events.status = 'failed'
RETURNING stripe_event_id
"""
# A failure is recorded after the rollback (which undid the claim's count), unless another delivery
# processed the event meanwhile.
FAIL = """
INSERT INTO stripe_events (stripe_event_id, event_type, stripe_created, status, payload, error_message)
VALUES (:id, :type, :created, 'failed', CAST(:payload AS JSONB), :error)
ON CONFLICT (stripe_event_id) DO UPDATE SET attempts = stripe_events.attempts + 1,
    error_message = EXCLUDED.error_message
WHERE stripe_events.status = 'failed'
"""
ERROR_CHARS = 2000


@dataclass(frozen=True)
class StoredStripeEvent:
    """An event as we recorded it: its outcome, how often it was tried, and the payload to replay."""

    stripe_event_id: str
    event_type: str
    stripe_created: int
    status: StripeEventStatus
    payload: dict[str, Any]
    organization_id: int | None
    attempts: int
    error_message: str | None
    received_at: datetime
    processed_at: datetime | None


class StripeEventRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def claim(self, event: StripeEvent) -> bool:
        """True when the event is ours to apply in this transaction; False for a duplicate of one done."""
        row = self._session.fetch_one(CLAIM, id=event.id, type=event.type, created=event.created,
                                      payload=json.dumps(event.raw))
        return row is not None

    def finish(self, event_id: str, status: StripeEventStatus, organization_id: int | None) -> None:
        """Record the claimed event's outcome (processed or ignored) and whose it was."""
        self._session.execute(
            "UPDATE stripe_events SET status = :status, organization_id = :org, processed_at = now(),"
            " error_message = NULL WHERE stripe_event_id = :id", id=event_id, status=status.value, org=organization_id)

    def record_failure(self, event: StripeEvent, error: str) -> None:
        """Record (in a transaction of its own, after the rollback) that applying the event failed."""
        self._session.execute(FAIL, id=event.id, type=event.type, created=event.created,
                              payload=json.dumps(event.raw), error=error[:ERROR_CHARS])

    def failed(self, limit: int, max_attempts: int) -> list[StoredStripeEvent]:
        """Failed events still worth a replay, oldest first."""
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM stripe_events WHERE status = 'failed' AND attempts < :max"
            " ORDER BY received_at, stripe_event_id LIMIT :limit", max=max_attempts, limit=limit)
        return [stored_from_row(r) for r in rows]

    def get(self, event_id: str) -> StoredStripeEvent | None:
        row = self._session.fetch_one(f"SELECT {COLUMNS} FROM stripe_events WHERE stripe_event_id = :id",
                                      id=event_id)
        return stored_from_row(row) if row else None


def stored_from_row(row: Row) -> StoredStripeEvent:
    values: dict[str, Any] = dict(row)
    values["status"] = StripeEventStatus(row["status"])
    payload = row["payload"]
    values["payload"] = payload if isinstance(payload, dict) else json.loads(payload)
    return StoredStripeEvent(**values)
