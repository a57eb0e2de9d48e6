"""advertisers-api: create, read, update and archive advertisers; list an organization's advertisers."""

from __future__ import annotations

import flask
import functions_framework

from shared.db.uow import UnitOfWork
from shared.http.router import Call, Reply, Router, page_headers
from shared.schemas.advertisers import (
    AdvertiserCreate,
    AdvertiserListQuery,
    AdvertiserRead,
    AdvertiserUpdate,
    advertiser_read,
)
from shared.services import advertisers as service

router = Router("advertisers-api", tag="Advertisers")
BIG_ID = "int(min=1, max=9223372036854775807)"
ONE = f"/api/v1/advertisers/<{BIG_ID}:advertiser_id>"
OF_ORGANIZATION = f"/api/v1/organizations/<{BIG_ID}:organization_id>/advertisers"


@router.route("POST", "/api/v1/advertisers", action="advertisers.create", body=AdvertiserCreate,
              response=AdvertiserRead, status=201, summary="Create an advertiser")
def create(call: Call) -> AdvertiserRead:
    advertiser = service.create_advertiser(call.body, uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return advertiser_read(advertiser)


@router.route("GET", ONE, action="advertisers.read", response=AdvertiserRead, summary="Get an advertiser")
def get(call: Call) -> AdvertiserRead:
    advertiser = service.get_advertiser(call.params["advertiser_id"], uow=UnitOfWork(call.actor.scope),
                                        actor=call.actor)
    return advertiser_read(advertiser)


@router.route("PUT", ONE, action="advertisers.update", body=AdvertiserUpdate, response=AdvertiserRead,
              summary="Update an advertiser (omitted fields are kept)")
def update(call: Call) -> AdvertiserRead:
    advertiser = service.update_advertiser(call.params["advertiser_id"], call.body,
                                           uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return advertiser_read(advertiser)


@router.route("DELETE", ONE, action="advertisers.archive", status=204,
              summary="Archive an advertiser (its history is kept)")
def archive(call: Call) -> None:
    service.archive_advertiser(call.params["advertiser_id"], uow=UnitOfWork(call.actor.scope), actor=call.actor)


@router.route("GET", OF_ORGANIZATION, action="advertisers.read", query=AdvertiserListQuery,
              response=list[AdvertiserRead], paged=True, summary="List an organization's advertisers")
def list_(call: Call) -> Reply:
    result = service.list_advertisers(call.params["organization_id"], call.page, call.query.to_filter(),
                                      uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return Reply([advertiser_read(a) for a in result.items], headers=page_headers(result))


@functions_framework.http
def advertisers_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
