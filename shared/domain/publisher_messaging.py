"""Conversations between an organization and a publisher, and their messages."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.domain.errors import Conflict


class ConversationStatus(enum.StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"
    ARCHIVED = "archived"


class SenderType(enum.StrEnum):
    ORGANIZATION = "organization"
    PUBLISHER = "publisher"
    SYSTEM = "system"


class MessageType(enum.StrEnum):
    TEXT = "text"
    SYSTEM = "system"
    NOTIFICATION = "notification"


class ConversationNotActive(Conflict):
    code = "conversation_not_active"


class ActiveConversationExists(Conflict):
    code = "active_conversation_exists"


@dataclass(frozen=True)
class Conversation:
    conversation_id: int
    organization_id: int
    publisher_domain: str
    list_id: int | None
    subject: str
    status: ConversationStatus
    created_by_user_id: str | None
    created_at: datetime
    updated_at: datetime
    last_message_at: datetime
    message_count: int = 0


@dataclass(frozen=True)
class NewConversation:
    organization_id: int
    publisher_domain: str
    list_id: int | None
    subject: str
    created_by_user_id: str | None


@dataclass(frozen=True)
class Message:
    message_id: int
    conversation_id: int
    organization_id: int
    sender_type: SenderType
    sender_id: str | None
    content: str
    message_type: MessageType
    external_message_id: str | None
    metadata: dict[str, Any] | None
    sent_at: datetime


@dataclass(frozen=True)
class NewMessage:
    sender_type: SenderType
    sender_id: str | None
    content: str
    message_type: MessageType = MessageType.TEXT
    external_message_id: str | None = None
    metadata: dict[str, Any] | None = None
    sent_at: datetime | None = None  # None: now

    def same_as(self, message: Message) -> bool:
        """Whether a stored message is this one delivered again (what an idempotent retry must match)."""
        return (message.sender_type, message.sender_id, message.content, message.message_type) == (
            self.sender_type, self.sender_id, self.content, self.message_type)


def check_can_send(conversation: Conversation) -> None:
    """The organization writes only into active conversations (publishers' replies are accepted in any)."""
    if conversation.status is not ConversationStatus.ACTIVE:
        raise ConversationNotActive(
            f"Conversation {conversation.conversation_id} is {conversation.status.value}; reopen it"
            " (status 'active') to send messages.")


def active_exists(publisher_domain: str, conversation_id: int | None = None) -> ActiveConversationExists:
    known = f" (conversation {conversation_id})" if conversation_id else ""
    return ActiveConversationExists(
        f"An active conversation with {publisher_domain} already exists{known}; close or archive it first.",
        details={"conversation_id": conversation_id} if conversation_id else None)


def conversation_fields(conversation: Conversation) -> dict[str, Any]:
    """The before/after of audit entries."""
    return {"publisher_domain": conversation.publisher_domain, "list_id": conversation.list_id,
            "subject": conversation.subject, "status": conversation.status.value}


def message_fields(message: Message) -> dict[str, Any]:
    """What the audit log keeps of a message: who, what kind, how long; never its text."""
    return {"conversation_id": message.conversation_id, "sender_type": message.sender_type.value,
            "sender_id": message.sender_id, "message_type": message.message_type.value,
            "external_message_id": message.external_message_id, "length": len(message.content)}
