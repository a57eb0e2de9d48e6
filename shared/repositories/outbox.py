"""SQL for the outbox: events are appended with their change and published after commit."""

from __future__ import annotations

import json

from shared.db.session import Session
from shared.domain.events import DomainEvent


class OutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, event: DomainEvent) -> None:
        # No RETURNING: tenant transactions may append events but not read the outbox back.
        self._session.execute(
            "INSERT INTO outbox (topic, event_type, aggregate_type, aggregate_id, aggregate_version,"
            " organization_id, payload) VALUES (:topic, :type, :agg_type, :agg_id, :version, :org,"
            " CAST(:payload AS JSONB))",
            topic=event.topic, type=event.event_type, agg_type=event.aggregate_type, agg_id=event.aggregate_id,
            version=event.version, org=event.organization_id, payload=json.dumps(event.payload, default=str),
        )
