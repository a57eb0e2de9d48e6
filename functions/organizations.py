"""organizations-api: create, list, read, update and archive organizations."""

from __future__ import annotations

import flask
import functions_framework

from shared.db.uow import UnitOfWork
from shared.domain.principal import TenantScope
from shared.http.router import Call, Reply, Router, page_headers
from shared.schemas.organizations import (
    OrganizationCreate,
    OrganizationGetQuery,
    OrganizationListQuery,
    OrganizationRead,
    OrganizationUpdate,
    OrganizationWithExtraRead,
    organization_read,
)
from shared.services import organizations as service

router = Router("organizations-api", tag="Organizations")
ONE = "/api/v1/organizations/<int(min=1, max=9223372036854775807):organization_id>"


@router.route("POST", "/api/v1/public/organizations", action=None, body=OrganizationCreate,
              response=OrganizationWithExtraRead, status=201, errors=(403,),  # platform_owner needs an admin
              summary="Create an organization (sign-up)")
def create_public(call: Call) -> OrganizationRead:
    uow = UnitOfWork(TenantScope.everything())  # a new tenant has no scope yet; the service decides
    return organization_read(service.create_organization(call.body, uow=uow, actor=call.actor))


@router.route("POST", "/api/v1/organizations", action="organizations.create", body=OrganizationCreate,
              response=OrganizationWithExtraRead, status=201, summary="Create an organization")
def create(call: Call) -> OrganizationRead:
    uow = UnitOfWork(TenantScope.everything())
    return organization_read(service.create_organization(call.body, uow=uow, actor=call.actor))


@router.route("GET", "/api/v1/organizations", action="organizations.list", query=OrganizationListQuery,
              response=list[OrganizationRead], paged=True, summary="List the organizations you can see")
def list_(call: Call) -> Reply:
    result = service.list_organizations(call.page, uow=UnitOfWork(call.actor.scope), actor=call.actor,
                                        org_type=call.query.type, include_archived=call.query.include_archived)
    return Reply([organization_read(o) for o in result.items], headers=page_headers(result))


@router.route("GET", ONE, action="organizations.read", query=OrganizationGetQuery,
              response=OrganizationWithExtraRead, summary="Get an organization")
def get(call: Call) -> OrganizationRead:
    organization = service.get_organization(call.params["organization_id"], uow=UnitOfWork(call.actor.scope),
                                            actor=call.actor, with_extra=call.query.with_extra)
    return organization_read(organization)


@router.route("PUT", ONE, action="organizations.update", body=OrganizationUpdate,
              response=OrganizationWithExtraRead, summary="Update an organization (omitted fields are kept)")
def update(call: Call) -> OrganizationRead:
    organization = service.update_organization(call.params["organization_id"], call.body,
                                               uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return organization_read(organization)


@router.route("DELETE", ONE, action="organizations.archive", status=204,
              summary="Archive an organization (its history is kept)")
def archive(call: Call) -> None:
    service.archive_organization(call.params["organization_id"], uow=UnitOfWork(call.actor.scope), actor=call.actor)


@functions_framework.http
def organizations_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
