"""SQL for the record of messages each subscriber has handled (idempotency of Pub/Sub handlers)."""

from __future__ import annotations

from shared.db.session import Session


class ProcessedMessageRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def seen(self, subscriber: str, message_id: str) -> bool:
        return bool(self._session.fetch_value(
            "SELECT 1 FROM processed_messages WHERE subscriber = :s AND message_id = :m", s=subscriber, m=message_id))

    def record(self, subscriber: str, message_id: str, outcome: str, detail: str | None) -> None:
        self._session.execute(
            "INSERT INTO processed_messages (subscriber, message_id, outcome, detail) VALUES (:s, :m, :o, :d)"
            " ON CONFLICT DO NOTHING", s=subscriber, m=message_id, o=outcome, d=detail)
