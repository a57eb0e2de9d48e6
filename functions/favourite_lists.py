"""favourite-lists-api: an organization's favourite publisher lists and the contact status of each publisher.

Answers keep the original's `{message, data}` envelope. Lists belong to the caller's organization;
Admin and PlatformOwner may name another with `?organization_id=` where a route has no list id.
"""

from __future__ import annotations

import flask
import functions_framework

from shared.db.uow import UnitOfWork
from shared.http.router import Call, Reply, Router, page_headers
from shared.schemas.favourite_lists import (
    Acknowledgement,
    FavouriteListCreate,
    FavouriteListReply,
    FavouriteListsReply,
    FavouriteListUpdate,
    ItemListQuery,
    ItemStatusUpdate,
    ListItemCreate,
    ListItemReply,
    ListItemsReply,
    ListItemUpdate,
    ListPageQuery,
    OrganizationQuery,
    SearchQuery,
    item_read,
    list_read,
)
from shared.services import favourite_lists as service

router = Router("favourite-lists-api", tag="Favorite publisher lists")
BASE = "/api/v1/favorite-publisher-lists"
ONE = BASE + "/<int(min=1, max=9223372036854775807):list_id>"
PUBLISHERS = ONE + "/publishers"
PUBLISHER = PUBLISHERS + "/<string(maxlength=256):domain>"


def _uow(call: Call) -> UnitOfWork:
    return UnitOfWork(call.actor.scope)


@router.route("POST", BASE, action="favorite_lists.manage", body=FavouriteListCreate, query=OrganizationQuery,
              response=FavouriteListReply, status=201, summary="Create a favourite publisher list")
def create(call: Call) -> FavouriteListReply:
    favourite = service.create_list(call.query.organization_id, call.body, uow=_uow(call), actor=call.actor)
    return FavouriteListReply(message="Favorite publisher list created successfully", data=list_read(favourite))


@router.route("GET", BASE, action="favorite_lists.read", query=ListPageQuery, response=FavouriteListsReply,
              summary="Your organization's lists, newest first, with their publisher counts")
def list_(call: Call) -> Reply:
    result = service.list_lists(call.query.organization_id, call.query.request(), uow=_uow(call), actor=call.actor)
    body = FavouriteListsReply(message="Favorite publisher lists retrieved successfully",
                               data=[list_read(f) for f in result.items])
    return Reply(body, headers=page_headers(result))


@router.route("GET", BASE + "/search", action="favorite_lists.read", query=SearchQuery, response=FavouriteListsReply,
              summary="Your organization's lists that hold a publisher domain")
def search(call: Call) -> FavouriteListsReply:
    lists = service.lists_holding(call.query.organization_id, call.query.domain, uow=_uow(call), actor=call.actor)
    return FavouriteListsReply(message="Lists containing the publisher retrieved successfully",
                               data=[list_read(f) for f in lists])


@router.route("GET", ONE, action="favorite_lists.read", response=FavouriteListReply, summary="Get a list")
def get(call: Call) -> FavouriteListReply:
    favourite = service.get_list(call.params["list_id"], uow=_uow(call), actor=call.actor)
    return FavouriteListReply(message="Favorite publisher list retrieved successfully", data=list_read(favourite))


@router.route("PUT", ONE, action="favorite_lists.manage", body=FavouriteListUpdate, response=FavouriteListReply,
              summary="Rename or describe a list (omitted fields are kept)")
def update(call: Call) -> FavouriteListReply:
    favourite = service.update_list(call.params["list_id"], call.body, uow=_uow(call), actor=call.actor)
    return FavouriteListReply(message="Favorite publisher list updated successfully", data=list_read(favourite))


@router.route("DELETE", ONE, action="favorite_lists.manage", response=Acknowledgement,
              summary="Delete a list and its publishers (conversations started from it are kept)")
def delete(call: Call) -> Acknowledgement:
    service.delete_list(call.params["list_id"], uow=_uow(call), actor=call.actor)
    return Acknowledgement(message="Favorite publisher list deleted successfully")


@router.route("POST", PUBLISHERS, action="favorite_lists.manage", body=ListItemCreate, response=ListItemReply,
              status=201, summary="Add a publisher domain to a list (409 if it is already there)")
def add_publisher(call: Call) -> ListItemReply:
    item = service.add_publisher(call.params["list_id"], call.body, uow=_uow(call), actor=call.actor)
    return ListItemReply(message="Publisher added to list successfully", data=item_read(item))


@router.route("GET", PUBLISHERS, action="favorite_lists.read", query=ItemListQuery, response=ListItemsReply,
              summary="A list's publishers, newest first (include_details=true adds their intelligence records)")
def list_publishers(call: Call) -> Reply:
    result, details = service.list_publishers(call.params["list_id"], call.query.request(),
                                              call.query.include_details, uow=_uow(call), actor=call.actor)
    body = ListItemsReply(message="Publishers retrieved successfully",
                          data=[item_read(i, details.get(i.publisher_domain)) for i in result.items])
    return Reply(body, headers=page_headers(result))


@router.route("PUT", PUBLISHER, action="favorite_lists.manage", body=ListItemUpdate, response=ListItemReply,
              summary="Change a publisher's notes in a list")
def update_publisher(call: Call) -> ListItemReply:
    item = service.update_notes(call.params["list_id"], call.params["domain"], call.body, uow=_uow(call),
                                actor=call.actor)
    return ListItemReply(message="Publisher notes updated successfully", data=item_read(item))


@router.route("PATCH", PUBLISHER + "/status", action="favorite_lists.manage", body=ItemStatusUpdate,
              response=ListItemReply,
              summary="Move a publisher along added -> contacted -> accepted (409 for a step the rule refuses)")
def change_status(call: Call) -> ListItemReply:
    item = service.change_status(call.params["list_id"], call.params["domain"], call.body.status, uow=_uow(call),
                                 actor=call.actor)
    return ListItemReply(message="Publisher status updated successfully", data=item_read(item))


@router.route("DELETE", PUBLISHER, action="favorite_lists.manage", response=Acknowledgement,
              summary="Remove a publisher from a list")
def remove_publisher(call: Call) -> Acknowledgement:
    service.remove_publisher(call.params["list_id"], call.params["domain"], uow=_uow(call), actor=call.actor)
    return Acknowledgement(message="Publisher removed from list successfully")


@functions_framework.http
def favourite_lists_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
