"""How an outbox row travels: a Pub/Sub message with a JSON body and filterable attributes."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Envelope:
    event_id: str
    topic: str
    event_type: str
    aggregate_type: str
    aggregate_id: str
    aggregate_version: int | None
    organization_id: int | None
    payload: dict[str, Any]
    created_at: datetime

    def data(self) -> bytes:
        body = {
            "event_id": self.event_id, "event_type": self.event_type, "aggregate_type": self.aggregate_type,
            "aggregate_id": self.aggregate_id, "aggregate_version": self.aggregate_version,
            "organization_id": self.organization_id, "payload": self.payload,
            "created_at": self.created_at.isoformat(),
        }
        return json.dumps(body, default=str, separators=(",", ":")).encode()

    def attributes(self) -> dict[str, str]:
        return {"event_type": self.event_type, "aggregate_type": self.aggregate_type, "event_id": self.event_id}


@dataclass(frozen=True)
class Message:
    """A received Pub/Sub message: its id (the idempotency key), publish time and decoded body."""

    message_id: str
    published_at: datetime | None
    attributes: dict[str, str]
    body: dict[str, Any]

    @property
    def event_type(self) -> str:
        return str(self.body.get("event_type") or self.attributes.get("event_type", ""))


def decode_pubsub(data: dict[str, Any]) -> Message:
    """The message inside a `google.cloud.pubsub.topic.v1.messagePublished` CloudEvent's data."""
    message = data.get("message") or {}
    raw = base64.b64decode(message.get("data") or b"")
    published = message.get("publishTime") or message.get("publish_time")
    return Message(
        message_id=str(message.get("messageId") or message.get("message_id") or ""),
        published_at=datetime.fromisoformat(published.replace("Z", "+00:00")) if published else None,
        attributes=dict(message.get("attributes") or {}),
        body=json.loads(raw) if raw else {},
    )


def encode_pubsub(message_id: str, data: bytes, attributes: dict[str, str], published_at: datetime) -> dict[str, Any]:
    """The CloudEvent data Eventarc delivers for a published message (local delivery builds the same)."""
    return {
        "message": {
            "data": base64.b64encode(data).decode(), "attributes": attributes, "messageId": message_id,
            "publishTime": published_at.isoformat().replace("+00:00", "Z"),
        },
        "subscription": "projects/local/subscriptions/local",
    }
