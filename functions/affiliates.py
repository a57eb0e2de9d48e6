"""affiliates-api: create, read, update and archive affiliates; list an organization's affiliates."""

from __future__ import annotations

import flask
import functions_framework

from shared.db.uow import UnitOfWork
from shared.http.router import Call, Reply, Router, page_headers
from shared.schemas.affiliates import (
    AffiliateCreate,
    AffiliateListQuery,
    AffiliateRead,
    AffiliateUpdate,
    affiliate_read,
)
from shared.services import affiliates as service

router = Router("affiliates-api", tag="Affiliates")
BIG_ID = "int(min=1, max=9223372036854775807)"
ONE = f"/api/v1/affiliates/<{BIG_ID}:affiliate_id>"
OF_ORGANIZATION = f"/api/v1/organizations/<{BIG_ID}:organization_id>/affiliates"


@router.route("POST", "/api/v1/affiliates", action="affiliates.create", body=AffiliateCreate,
              response=AffiliateRead, status=201, summary="Create an affiliate")
def create(call: Call) -> AffiliateRead:
    affiliate = service.create_affiliate(call.body, uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return affiliate_read(affiliate)


@router.route("GET", ONE, action="affiliates.read", response=AffiliateRead, summary="Get an affiliate")
def get(call: Call) -> AffiliateRead:
    affiliate = service.get_affiliate(call.params["affiliate_id"], uow=UnitOfWork(call.actor.scope),
                                        actor=call.actor)
    return affiliate_read(affiliate)


@router.route("PUT", ONE, action="affiliates.update", body=AffiliateUpdate, response=AffiliateRead,
              summary="Update an affiliate (omitted fields are kept)")
def update(call: Call) -> AffiliateRead:
    affiliate = service.update_affiliate(call.params["affiliate_id"], call.body,
                                           uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return affiliate_read(affiliate)


@router.route("DELETE", ONE, action="affiliates.archive", status=204,
              summary="Archive an affiliate (its history is kept)")
def archive(call: Call) -> None:
    service.archive_affiliate(call.params["affiliate_id"], uow=UnitOfWork(call.actor.scope), actor=call.actor)


@router.route("GET", OF_ORGANIZATION, action="affiliates.read", query=AffiliateListQuery,
              response=list[AffiliateRead], paged=True, summary="List an organization's affiliates")
def list_(call: Call) -> Reply:
    result = service.list_affiliates(call.params["organization_id"], call.page, call.query.to_filter(),
                                      uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return Reply([affiliate_read(a) for a in result.items], headers=page_headers(result))


@functions_framework.http
def affiliates_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
