"""Request and response models of the publisher messaging API (the original's shapes)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from shared.domain.paging import PageResult
from shared.domain.publisher_messaging import (
    Conversation,
    ConversationStatus,
    Message,
    MessageType,
    SenderType,
)
from shared.schemas.common import PositiveId, ReadModel, StrictModel, plain_text
from shared.schemas.favourite_lists import OrganizationQuery, PageQuery, PublisherDomain

METADATA_BYTES = 8_192


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _small(value: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(value, separators=(",", ":"))) > METADATA_BYTES:
        raise ValueError(f"must be at most {METADATA_BYTES} bytes of JSON")
    return value


Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
                    AfterValidator(plain_text)]
Content = Annotated[str, StringConstraints(min_length=1, max_length=5_000), AfterValidator(_not_blank)]
Metadata = Annotated[dict[str, Any], AfterValidator(_small)]
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=255), AfterValidator(_not_blank)]


class ConversationListQuery(PageQuery, OrganizationQuery):
    """The original's `page`/`page_size` (default 20; a size above 100 is lowered to 100)."""

    status: ConversationStatus | None = None
    page_size: int = Field(default=20, ge=1, le=999_999_999)


class MessagePageQuery(PageQuery):
    """A page of the conversation's messages, oldest first (default: the first 100)."""


class ConversationCreate(StrictModel):
    publisher_domain: PublisherDomain = Field(description="Must be a publisher of the intelligence data.")
    list_id: PositiveId | None = Field(default=None, description="One of your organization's favourite lists.")
    subject: Subject
    initial_message: Content


class ConversationStatusUpdate(StrictModel):
    status: ConversationStatus = Field(description="Reopening (active) needs no other active conversation with"
                                                   " the publisher.")


class MessageCreate(StrictModel):
    """Sent by the signed-in user on behalf of the organization (sender_id is the user's id)."""

    content: Content
    message_type: MessageType = MessageType.TEXT
    metadata: Metadata | None = None


class ExternalMessageCreate(StrictModel):
    """A message delivered by the messaging service (a publisher's reply, a system notice)."""

    conversation_id: PositiveId | None = Field(default=None, description="Optional; if sent, must be the path's.")
    sender_type: SenderType
    sender_id: Annotated[str, StringConstraints(max_length=255)] | None = None
    content: Content
    message_type: MessageType = MessageType.TEXT
    external_message_id: ExternalId | None = Field(
        default=None, description="The service's id: delivering it again returns the stored message (200).")
    metadata: Metadata | None = None
    sent_at: AwareDatetime | None = Field(default=None, description="RFC 3339; default now.")


class ConversationRead(ReadModel):
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
    message_count: int
    publisher: dict[str, Any] | None = Field(
        default=None, description="In lists and reads: the publisher's intelligence record (null if unknown).")


class MessageRead(ReadModel):
    message_id: int
    conversation_id: int
    sender_type: SenderType
    sender_id: str | None
    content: str
    message_type: MessageType
    external_message_id: str | None
    metadata: dict[str, Any] | None
    sent_at: datetime


class ConversationListRead(ReadModel):
    conversations: list[ConversationRead]
    total: int
    page: int
    page_size: int
    total_is_lower_bound: bool = False


class ConversationDetailRead(ReadModel):
    """The conversation and one page of its messages, oldest first (`total` counts the messages)."""

    conversation: ConversationRead
    messages: list[MessageRead]
    total: int
    page: int
    page_size: int
    total_is_lower_bound: bool = False


def conversation_read(conversation: Conversation, publisher: dict[str, Any] | None = None) -> ConversationRead:
    return ConversationRead.model_validate({**conversation.__dict__, "publisher": publisher})


def message_read(message: Message) -> MessageRead:
    return MessageRead.model_validate(message)


def conversation_list(result: PageResult[Conversation], publishers: dict[str, dict[str, Any]]) -> ConversationListRead:
    return ConversationListRead(conversations=[conversation_read(c, publishers.get(c.publisher_domain))
                                               for c in result.items], total=result.total,
                                page=result.page.page, page_size=result.page.page_size,
                                total_is_lower_bound=result.total_is_lower_bound)


def conversation_detail(conversation: Conversation, messages: PageResult[Message],
                        publishers: dict[str, dict[str, Any]]) -> ConversationDetailRead:
    return ConversationDetailRead(conversation=conversation_read(conversation,
                                                                 publishers.get(conversation.publisher_domain)),
                                  messages=[message_read(m) for m in messages.items], total=messages.total,
                                  page=messages.page.page, page_size=messages.page.page_size,
                                  total_is_lower_bound=messages.total_is_lower_bound)
