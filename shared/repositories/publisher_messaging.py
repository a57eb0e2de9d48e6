"""SQL for publisher conversations and their messages."""

from __future__ import annotations

import json
from typing import Any

from pg8000.exceptions import DatabaseError

from shared.db.session import Row, Session, sqlstate
from shared.domain.paging import TOTAL_CAP, PageRequest, PageResult
from shared.domain.principal import TenantScope
from shared.domain.publisher_messaging import (
    Conversation,
    ConversationStatus,
    Message,
    MessageType,
    NewConversation,
    NewMessage,
    SenderType,
    active_exists,
)

CONVERSATION_COLUMNS = ("c.conversation_id, c.organization_id, c.publisher_domain, c.list_id, c.subject, c.status,"
                        " c.created_by_user_id, c.created_at, c.updated_at, c.last_message_at")
MESSAGE_COUNT = "(SELECT count(*) FROM publisher_messages m WHERE m.conversation_id = c.conversation_id)"
MESSAGE_COLUMNS = ("message_id, conversation_id, organization_id, sender_type, sender_id, content, message_type,"
                   " external_message_id, metadata, sent_at")
ACTIVE_INDEX = "uq_conversations_active"


class PublisherMessagingRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add_conversation(self, new: NewConversation) -> Conversation:
        """A new active conversation; another active one with the publisher (even a concurrent one) is a 409."""
        try:
            row = self._session.fetch_one(
                "INSERT INTO publisher_conversations AS c (organization_id, publisher_domain, list_id, subject,"
                " created_by_user_id) VALUES (:org, :domain, :list, :subject, CAST(:creator AS UUID))"
                f" RETURNING {CONVERSATION_COLUMNS}, 0 AS message_count",
                org=new.organization_id, domain=new.publisher_domain, list=new.list_id, subject=new.subject,
                creator=new.created_by_user_id,
            )
        except DatabaseError as exc:
            if _active_clash(exc):
                raise active_exists(new.publisher_domain) from exc
            raise
        assert row is not None
        return _conversation(row)

    def active_with(self, organization_id: int, domain: str) -> Conversation | None:
        row = self._session.fetch_one(
            f"SELECT {CONVERSATION_COLUMNS}, {MESSAGE_COUNT} AS message_count FROM publisher_conversations c"
            " WHERE c.organization_id = :org AND c.publisher_domain = :domain AND c.status = 'active'",
            org=organization_id, domain=domain,
        )
        return _conversation(row) if row else None

    def get(self, conversation_id: int, scope: TenantScope, *, for_update: bool = False) -> Conversation | None:
        clause, params = _scope(scope)
        lock = " FOR UPDATE" if for_update else ""
        row = self._session.fetch_one(
            f"SELECT {CONVERSATION_COLUMNS}, {MESSAGE_COUNT} AS message_count FROM publisher_conversations c"
            f" WHERE c.conversation_id = :id AND {clause}{lock}",
            id=conversation_id, **params,
        )
        return _conversation(row) if row else None

    def of_organization(self, organization_id: int, status: ConversationStatus | None,
                        page: PageRequest) -> PageResult[Conversation]:
        """The organization's conversations, latest activity first."""
        where = "c.organization_id = :org" + (" AND c.status = :status" if status else "")
        params: dict[str, Any] = {"org": organization_id, **({"status": status.value} if status else {})}
        rows = self._session.fetch_all(
            f"SELECT {CONVERSATION_COLUMNS}, {MESSAGE_COUNT} AS message_count FROM publisher_conversations c"
            f" WHERE {where} ORDER BY c.last_message_at DESC, c.conversation_id DESC LIMIT :limit OFFSET :offset",
            limit=page.page_size, offset=page.offset, **params,
        )
        matched = self._session.fetch_value(
            f"SELECT count(*) FROM (SELECT 1 FROM publisher_conversations c WHERE {where} LIMIT {TOTAL_CAP + 1}) m",
            **params)
        return PageResult.counted([_conversation(r) for r in rows], int(matched), page)

    def set_status(self, conversation: Conversation, status: ConversationStatus) -> Conversation:
        """Reopening while another conversation with the publisher is active is a 409."""
        try:
            row = self._session.fetch_one(
                "UPDATE publisher_conversations AS c SET status = :status WHERE c.conversation_id = :id"
                f" RETURNING {CONVERSATION_COLUMNS}, {MESSAGE_COUNT} AS message_count",
                id=conversation.conversation_id, status=status.value,
            )
        except DatabaseError as exc:
            if _active_clash(exc):
                raise active_exists(conversation.publisher_domain) from exc
            raise
        assert row is not None
        return _conversation(row)

    def delete(self, conversation_id: int) -> None:
        """Its messages go with it."""
        self._session.execute("DELETE FROM publisher_conversations WHERE conversation_id = :id", id=conversation_id)

    def add_message(self, conversation: Conversation, new: NewMessage) -> Message | None:
        """Insert a message; None when its external id is already in the conversation (nothing is written)."""
        conflict = " ON CONFLICT (conversation_id, external_message_id) DO NOTHING" if new.external_message_id else ""
        row = self._session.fetch_one(
            "INSERT INTO publisher_messages (conversation_id, organization_id, sender_type, sender_id, content,"
            " message_type, external_message_id, metadata, sent_at) VALUES (:conversation, :org, :sender_type,"
            " :sender_id, :content, :message_type, :external, CAST(:metadata AS JSONB),"
            f" coalesce(CAST(:sent_at AS TIMESTAMPTZ), now())){conflict} RETURNING {MESSAGE_COLUMNS}",
            conversation=conversation.conversation_id, org=conversation.organization_id,
            sender_type=new.sender_type.value, sender_id=new.sender_id, content=new.content,
            message_type=new.message_type.value, external=new.external_message_id,
            metadata=None if new.metadata is None else json.dumps(new.metadata), sent_at=new.sent_at,
        )
        return _message(row) if row else None

    def by_external_id(self, conversation_id: int, external_message_id: str) -> Message | None:
        row = self._session.fetch_one(
            f"SELECT {MESSAGE_COLUMNS} FROM publisher_messages WHERE conversation_id = :conversation"
            " AND external_message_id = :external",
            conversation=conversation_id, external=external_message_id,
        )
        return _message(row) if row else None

    def messages(self, conversation_id: int, page: PageRequest) -> PageResult[Message]:
        """A conversation's messages, oldest first."""
        rows = self._session.fetch_all(
            f"SELECT {MESSAGE_COLUMNS} FROM publisher_messages WHERE conversation_id = :conversation"
            " ORDER BY sent_at, message_id LIMIT :limit OFFSET :offset",
            conversation=conversation_id, limit=page.page_size, offset=page.offset,
        )
        matched = self._session.fetch_value(
            "SELECT count(*) FROM (SELECT 1 FROM publisher_messages WHERE conversation_id = :conversation"
            f" LIMIT {TOTAL_CAP + 1}) m", conversation=conversation_id)
        return PageResult.counted([_message(r) for r in rows], int(matched), page)


def _scope(scope: TenantScope) -> tuple[str, dict[str, Any]]:
    if scope.organization_ids is None:
        return "TRUE", {}
    return "c.organization_id = ANY(CAST(:scope AS BIGINT[]))", {"scope": sorted(scope.organization_ids)}


def _active_clash(exc: DatabaseError) -> bool:
    """The partial unique index speaks for races the service's own check could not see."""
    return sqlstate(exc) == "23505" and ACTIVE_INDEX in str(exc)


def _conversation(row: Row) -> Conversation:
    creator = row["created_by_user_id"]
    return Conversation(**{**row, "status": ConversationStatus(row["status"]),
                           "created_by_user_id": str(creator) if creator else None})


def _message(row: Row) -> Message:
    return Message(**{**row, "sender_type": SenderType(row["sender_type"]),
                      "message_type": MessageType(row["message_type"])})
