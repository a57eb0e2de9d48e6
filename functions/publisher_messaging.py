"""publisher-messaging-api: an organization's conversations with publishers, and the messaging service's inbox.

User routes act on the caller's organization (Admin and PlatformOwner may name another with
`?organization_id=` where a route has no conversation id). The external-messages route is for the
messaging service alone: `Authorization: Bearer <MESSAGING_SERVICE_TOKEN>`, no user token.
"""

from __future__ import annotations

import flask
import functions_framework

from shared.auth.webhooks import check_service_token
from shared.config import get_settings
from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from shared.http.request import parse_body
from shared.http.router import Call, Reply, Router
from shared.schemas.favourite_lists import OrganizationQuery
from shared.schemas.publisher_messaging import (
    ConversationCreate,
    ConversationDetailRead,
    ConversationListQuery,
    ConversationListRead,
    ConversationRead,
    ConversationStatusUpdate,
    ExternalMessageCreate,
    MessageCreate,
    MessagePageQuery,
    MessageRead,
    conversation_detail,
    conversation_list,
    conversation_read,
    message_read,
)
from shared.services import publisher_messaging as service

router = Router("publisher-messaging-api", tag="Publisher messaging")
BASE = "/api/v1/publisher-messaging/conversations"
ONE = BASE + "/<int(min=1, max=9223372036854775807):conversation_id>"


def _uow(call: Call) -> UnitOfWork:
    return UnitOfWork(call.actor.scope)


@router.route("POST", BASE, action="publisher_messaging.send", body=ConversationCreate, query=OrganizationQuery,
              response=ConversationRead, status=201,
              summary="Start a conversation with a publisher, with its first message (409 while one is active)")
def start(call: Call) -> ConversationRead:
    conversation = service.start_conversation(call.query.organization_id, call.body, uow=_uow(call),
                                              actor=call.actor)
    return conversation_read(conversation)


@router.route("GET", BASE, action="publisher_messaging.read", query=ConversationListQuery,
              response=ConversationListRead, summary="Your organization's conversations, latest activity first")
def list_(call: Call) -> ConversationListRead:
    q = call.query
    result, publishers = service.list_conversations(q.organization_id, q.status, q.request(), uow=_uow(call),
                                                    actor=call.actor)
    return conversation_list(result, publishers)


@router.route("GET", ONE, action="publisher_messaging.read", query=MessagePageQuery, response=ConversationDetailRead,
              summary="A conversation with a page of its messages, oldest first")
def get(call: Call) -> ConversationDetailRead:
    conversation, messages, publishers = service.get_conversation(call.params["conversation_id"], call.query.request(),
                                                                  uow=_uow(call), actor=call.actor)
    return conversation_detail(conversation, messages, publishers)


@router.route("PUT", ONE + "/status", action="publisher_messaging.send", body=ConversationStatusUpdate,
              response=ConversationRead, summary="Close, archive or reopen a conversation")
def set_status(call: Call) -> ConversationRead:
    conversation = service.set_status(call.params["conversation_id"], call.body.status, uow=_uow(call),
                                      actor=call.actor)
    return conversation_read(conversation)


@router.route("DELETE", ONE, action="publisher_messaging.send", status=204,
              summary="Delete a conversation and its messages")
def delete(call: Call) -> None:
    service.delete_conversation(call.params["conversation_id"], uow=_uow(call), actor=call.actor)


@router.route("POST", ONE + "/messages", action="publisher_messaging.send", body=MessageCreate, response=MessageRead,
              status=201, summary="Send a message as your organization (only into an active conversation)")
def send(call: Call) -> MessageRead:
    message = service.send_message(call.params["conversation_id"], call.body, uow=_uow(call), actor=call.actor)
    return message_read(message)


@router.route("POST", ONE + "/external-messages", action=None, response=MessageRead, status=201,
              errors=(400, 401, 409, 413, 415, 422),
              summary="The messaging service delivers a message (Authorization: Bearer <MESSAGING_SERVICE_TOKEN>);"
                      " 201 when stored, 200 with the stored message when its external_message_id came before")
def external(call: Call) -> Reply:
    check_service_token(call.request.headers.get("Authorization"), get_settings().messaging_service_token)
    body = parse_body(call.request, ExternalMessageCreate)  # read only once the caller is known
    # System scope on purpose: the service token is the credential and reaches every organization's conversations.
    delivery = service.deliver_external(call.params["conversation_id"], body, uow=UnitOfWork(TenantScope.everything()),
                                        actor=call.actor)
    return Reply(message_read(delivery.message), status=201 if delivery.created else 200)


@functions_framework.http
def publisher_messaging_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
