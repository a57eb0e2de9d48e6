"""Publisher messaging use cases: conversations of an organization with a publisher, and their messages.

An organization has at most one active conversation per publisher; closed and archived ones never block
a new one. Its users write only into active conversations. The messaging service (authenticated by its
own token, not a user) delivers publishers' replies into any conversation, once per external message id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.db.uow import UnitOfWork
from shared.domain.audit import AuditEntry, diff
from shared.domain.errors import Conflict, NotFound, ValidationFailed
from shared.domain.intelligence import publisher_document
from shared.domain.paging import PageRequest, PageResult
from shared.domain.principal import Actor
from shared.domain.publisher_messaging import (
    Conversation,
    ConversationStatus,
    Message,
    NewConversation,
    NewMessage,
    SenderType,
    active_exists,
    check_can_send,
    conversation_fields,
    message_fields,
)
from shared.schemas.publisher_messaging import ConversationCreate, ExternalMessageCreate, MessageCreate
from shared.services.favourite_lists import target_organization

Publishers = dict[str, dict[str, Any]]  # intelligence records (the original's `publisher` object) by domain


@dataclass(frozen=True)
class Delivery:
    """The stored message, and whether this delivery created it (False: the same external id came again)."""

    message: Message
    created: bool


def start_conversation(organization_id: int | None, cmd: ConversationCreate, *, uow: UnitOfWork,
                       actor: Actor) -> Conversation:
    """The conversation and its first message, in one transaction."""
    with uow:
        org = target_organization(uow, actor, organization_id)
        _check_publisher(uow, cmd.publisher_domain)
        if cmd.list_id is not None:
            favourite = uow.favourite_lists.get(cmd.list_id, uow.scope)
            if favourite is None or favourite.organization_id != org:
                raise NotFound(f"Favorite publisher list {cmd.list_id} was not found.")
        existing = uow.publisher_messaging.active_with(org, cmd.publisher_domain)
        if existing is not None:
            raise active_exists(cmd.publisher_domain, existing.conversation_id)
        conversation = uow.publisher_messaging.add_conversation(NewConversation(
            org, cmd.publisher_domain, cmd.list_id, cmd.subject, str(actor.user.user_id)))
        message = uow.publisher_messaging.add_message(conversation, NewMessage(
            SenderType.ORGANIZATION, str(actor.user.user_id), cmd.initial_message))
        assert message is not None
        _record_conversation(uow, actor, "create", None, conversation)
        _record_message(uow, actor, message)
        started = uow.publisher_messaging.get(conversation.conversation_id, uow.scope)
        uow.commit()
    assert started is not None
    return started


def list_conversations(organization_id: int | None, status: ConversationStatus | None, page: PageRequest, *,
                       uow: UnitOfWork, actor: Actor) -> tuple[PageResult[Conversation], Publishers]:
    """A page of the organization's conversations, and the intelligence records of their publishers."""
    with uow:
        org = target_organization(uow, actor, organization_id)
        result = uow.publisher_messaging.of_organization(org, status, page)
        return result, _publishers(uow, [c.publisher_domain for c in result.items])


def get_conversation(conversation_id: int, page: PageRequest, *, uow: UnitOfWork,
                     actor: Actor) -> tuple[Conversation, PageResult[Message], Publishers]:
    """The conversation, a page of its messages (oldest first) and its publisher's intelligence record."""
    with uow:
        conversation = _visible(uow, conversation_id)
        messages = uow.publisher_messaging.messages(conversation_id, page)
        return conversation, messages, _publishers(uow, [conversation.publisher_domain])


def set_status(conversation_id: int, status: ConversationStatus, *, uow: UnitOfWork, actor: Actor) -> Conversation:
    """Any status to any other; reopening while another conversation with the publisher is active is a 409."""
    with uow:
        current = _visible(uow, conversation_id, for_update=True)
        if current.status is status:
            return current
        if status is ConversationStatus.ACTIVE:
            other = uow.publisher_messaging.active_with(current.organization_id, current.publisher_domain)
            if other is not None:
                raise active_exists(current.publisher_domain, other.conversation_id)
        conversation = uow.publisher_messaging.set_status(current, status)
        _record_conversation(uow, actor, "set_status", current, conversation)
        uow.commit()
    return conversation


def delete_conversation(conversation_id: int, *, uow: UnitOfWork, actor: Actor) -> None:
    """The conversation and its messages."""
    with uow:
        current = _visible(uow, conversation_id, for_update=True)
        uow.publisher_messaging.delete(conversation_id)
        uow.audit.record(actor, AuditEntry(
            "publisher_conversation.delete", "publisher_conversation", str(conversation_id), current.organization_id,
            {**diff(conversation_fields(current), {}),
             "message_count": {"before": current.message_count, "after": None}}))
        uow.commit()


def send_message(conversation_id: int, cmd: MessageCreate, *, uow: UnitOfWork, actor: Actor) -> Message:
    """A message of the organization, signed by the acting user; only into an active conversation (409)."""
    with uow:
        conversation = _visible(uow, conversation_id, for_update=True)
        check_can_send(conversation)
        message = uow.publisher_messaging.add_message(conversation, NewMessage(
            SenderType.ORGANIZATION, str(actor.user.user_id), cmd.content, cmd.message_type, metadata=cmd.metadata))
        assert message is not None
        _record_message(uow, actor, message)
        uow.commit()
    return message


def deliver_external(conversation_id: int, cmd: ExternalMessageCreate, *, uow: UnitOfWork,
                     actor: Actor) -> Delivery:
    """A message from the messaging service, into any conversation (`uow` is system-scoped: the service
    token is the credential). The same external id again returns the stored message and writes nothing;
    the same id with other content is a 409.
    """
    if cmd.conversation_id is not None and cmd.conversation_id != conversation_id:
        raise ValidationFailed("conversation_id must match the conversation in the path.", details=[{
            "field": "conversation_id", "location": "body", "message": "must match the path", "type": "value_error"}])
    new = NewMessage(cmd.sender_type, cmd.sender_id, cmd.content, cmd.message_type, cmd.external_message_id,
                     cmd.metadata, cmd.sent_at)
    with uow:
        conversation = _visible(uow, conversation_id)
        message = uow.publisher_messaging.add_message(conversation, new)
        if message is None:  # this external id is already stored (perhaps by a concurrent delivery)
            assert new.external_message_id is not None
            return Delivery(_same_delivery(uow, conversation_id, new), created=False)
        _record_message(uow, actor, message)
        uow.commit()
    return Delivery(message, created=True)


def _same_delivery(uow: UnitOfWork, conversation_id: int, new: NewMessage) -> Message:
    assert new.external_message_id is not None
    stored = uow.publisher_messaging.by_external_id(conversation_id, new.external_message_id)
    assert stored is not None
    if not new.same_as(stored):
        raise Conflict(f"External message {new.external_message_id} was already delivered with other content.",
                       details={"message_id": stored.message_id})
    return stored


def _publishers(uow: UnitOfWork, domains: list[str]) -> Publishers:
    known = uow.intelligence.publishers_by_domain(domains)
    return {domain: publisher_document(record) for domain, record in known.items()}


def _check_publisher(uow: UnitOfWork, domain: str) -> None:
    if not uow.intelligence.publisher_exists(domain):
        message = "no publisher with this domain in the intelligence data"
        raise ValidationFailed(f"publisher_domain: {message}.", details=[{
            "field": "publisher_domain", "location": "body", "message": message, "type": "value_error"}])


def _visible(uow: UnitOfWork, conversation_id: int, *, for_update: bool = False) -> Conversation:
    conversation = uow.publisher_messaging.get(conversation_id, uow.scope, for_update=for_update)
    if conversation is None:
        raise NotFound(f"Conversation {conversation_id} was not found.")
    return conversation


def _record_conversation(uow: UnitOfWork, actor: Actor, action: str, before: Conversation | None,
                         after: Conversation) -> None:
    changes = diff(conversation_fields(before) if before else {}, conversation_fields(after))
    uow.audit.record(actor, AuditEntry(f"publisher_conversation.{action}", "publisher_conversation",
                                       str(after.conversation_id), after.organization_id, changes))


def _record_message(uow: UnitOfWork, actor: Actor, message: Message) -> None:
    uow.audit.record(actor, AuditEntry("publisher_message.create", "publisher_message", str(message.message_id),
                                       message.organization_id, message_fields(message)))
