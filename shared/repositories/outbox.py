"""SQL for the outbox: events are appended with their change and published after commit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from shared.db.session import Row, Session
from shared.domain.events import DomainEvent
from shared.events.envelope import Envelope

COLUMNS = ("CAST(event_id AS TEXT) AS event_id, topic, event_type, aggregate_type, aggregate_id, aggregate_version,"
           " organization_id, payload, created_at")


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session
        self.added: list[str] = []

    def add(self, event: DomainEvent) -> str:
        """Append an event (no RETURNING: tenant transactions may append but not read the outbox)."""
        event_id = str(uuid.uuid4())
        self._session.execute(
            "INSERT INTO outbox (event_id, topic, event_type, aggregate_type, aggregate_id, aggregate_version,"
            " organization_id, payload) VALUES (CAST(:id AS UUID), :topic, :type, :agg_type, :agg_id, :version,"
            " :org, CAST(:payload AS JSONB))",
            id=event_id, topic=event.topic, type=event.event_type, agg_type=event.aggregate_type,
            agg_id=event.aggregate_id, version=event.version, org=event.organization_id,
            payload=json.dumps(event.payload, default=str),
        )
        self.added.append(event_id)
        return event_id

    def claim_unpublished(self, *, limit: int, event_ids: Sequence[str] | None = None) -> list[Envelope]:
        """Lock unpublished events, oldest first; concurrent relays skip each other's rows."""
        only = " AND event_id = ANY(CAST(:ids AS UUID[]))" if event_ids is not None else ""
        rows = self._session.fetch_all(
            f"SELECT {COLUMNS} FROM outbox WHERE published_at IS NULL{only}"
            " ORDER BY created_at LIMIT :limit FOR UPDATE SKIP LOCKED",
            limit=limit, **({"ids": list(event_ids)} if event_ids is not None else {}),
        )
        return [_envelope(r) for r in rows]

    def mark_published(self, event_id: str) -> None:
        self._session.execute(
            "UPDATE outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL"
            " WHERE event_id = CAST(:id AS UUID)", id=event_id)

    def mark_failed(self, event_id: str, error: str) -> None:
        self._session.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = :error WHERE event_id = CAST(:id AS UUID)",
            id=event_id, error=error[:1000])

    def unpublished_count(self) -> int:
        return int(self._session.fetch_value("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


def _envelope(row: Row) -> Envelope:
    payload = row["payload"]
    return Envelope(
        event_id=row["event_id"], topic=row["topic"], event_type=row["event_type"],
        aggregate_type=row["aggregate_type"], aggregate_id=row["aggregate_id"],
        aggregate_version=row["aggregate_version"], organization_id=row["organization_id"],
        payload=payload if isinstance(payload, dict) else json.loads(payload), created_at=row["created_at"],
    )
