"""agency-delegations-api: advertisers delegate permissions to agencies; the lifecycle and checks of a grant."""

from __future__ import annotations

import flask
import functions_framework

from shared.db.uow import UnitOfWork
from shared.domain.agency_delegations import DelegationFilter, Permission, Side, Step
from shared.domain.principal import TenantScope
from shared.http.router import Call, Reply, Router
from shared.schemas.agency_delegations import (
    DelegationCreate,
    DelegationListQuery,
    DelegationRead,
    DetailsQuery,
    ExpirationUpdate,
    PermissionCatalogue,
    PermissionCheck,
    PermissionCheckRead,
    PermissionsUpdate,
    delegation_read,
)
from shared.schemas.partnerships import WindowQuery
from shared.services import agency_delegations as service

router = Router("agency-delegations-api", tag="Agency delegations")
BASE = "/api/v1/agency-delegations"
ID = "<int(min=1, max=9223372036854775807):{}>"
ONE = BASE + "/" + ID.format("delegation_id")


def _uow(call: Call) -> UnitOfWork:
    return UnitOfWork(call.actor.scope)


def _directory(wanted: bool) -> UnitOfWork | None:
    """System scope for the counterpart's name and type only (it is another tenant)."""
    return UnitOfWork(TenantScope.everything()) if wanted else None


def _page(page: service.DelegationPage) -> Reply:
    moment = service.now()
    return Reply([delegation_read(d, moment, page.organizations) for d in page.items],
                 headers={"X-Total-Count": str(page.total)})


@router.route("POST", BASE, action="agency_delegations.create", body=DelegationCreate, response=DelegationRead,
              status=201, summary="Delegate permissions of your advertiser organization to an agency (pending)")
def create(call: Call) -> DelegationRead:
    delegation = service.create_delegation(call.body, uow=_uow(call), directory=UnitOfWork(TenantScope.everything()),
                                           actor=call.actor)
    return delegation_read(delegation, service.now())


@router.route("GET", BASE, action="agency_delegations.read", query=DelegationListQuery,
              response=list[DelegationRead], summary="Delegations your organization gave or received")
def list_(call: Call) -> Reply:
    q = call.query
    where = DelegationFilter(q.agency_org_id, q.advertiser_org_id, q.status, q.include_expired)
    return _page(service.list_delegations(where, q.window(), uow=_uow(call), directory=_directory(q.with_details),
                                          actor=call.actor))


@router.route("GET", BASE + "/permissions", action="agency_delegations.permissions", response=PermissionCatalogue,
              summary="The 16 permissions a delegation can grant")
def permissions(call: Call) -> PermissionCatalogue:
    return PermissionCatalogue(list(Permission))


@router.route("POST", BASE + "/check-permissions", action="agency_delegations.check", body=PermissionCheck,
              response=PermissionCheckRead, summary="Whether an agency may use permissions for an advertiser now")
def check(call: Call) -> PermissionCheckRead:
    result = service.check_permissions(call.body, uow=_uow(call), actor=call.actor)
    return PermissionCheckRead(has_permissions=all(result.results.values()), permission_results=result.results,
                               delegation_status=result.status, is_expired=result.is_expired)


@router.route("GET", BASE + "/agency/" + ID.format("agency_org_id"), action="agency_delegations.agency",
              query=WindowQuery, response=list[DelegationRead],
              summary="An agency's active, unexpired delegations")
def of_agency(call: Call) -> Reply:
    return _page(service.active_delegations(call.params["agency_org_id"], Side.AGENCY, call.query.window(100),
                                            uow=_uow(call), actor=call.actor))


@router.route("GET", BASE + "/advertiser/" + ID.format("advertiser_org_id"), action="agency_delegations.advertiser",
              query=WindowQuery, response=list[DelegationRead],
              summary="An advertiser's active, unexpired delegations")
def of_advertiser(call: Call) -> Reply:
    return _page(service.active_delegations(call.params["advertiser_org_id"], Side.ADVERTISER,
                                            call.query.window(100), uow=_uow(call), actor=call.actor))


@router.route("GET", ONE, action="agency_delegations.read", query=DetailsQuery, response=DelegationRead,
              summary="Get a delegation (with_details=true adds both organizations)")
def get(call: Call) -> DelegationRead:
    page = service.get_delegation(call.params["delegation_id"], uow=_uow(call),
                                  directory=_directory(call.query.with_details), actor=call.actor)
    return delegation_read(page.items[0], service.now(), page.organizations)


def _step(step: Step, action: str, summary: str) -> None:
    @router.route("POST", f"{ONE}/{step.value}", action=action, response=DelegationRead, summary=summary)
    def handler(call: Call) -> DelegationRead:
        delegation = service.take_step(call.params["delegation_id"], step, uow=_uow(call), actor=call.actor)
        return delegation_read(delegation, service.now())

    handler.__name__ = handler.__qualname__ = step.value  # the OpenAPI operation id


_step(Step.ACCEPT, "agency_delegations.accept", "The agency accepts a pending delegation (pending -> active)")
_step(Step.REJECT, "agency_delegations.end", "Either side declines a pending delegation (pending -> revoked)")
_step(Step.SUSPEND, "agency_delegations.manage", "The advertiser pauses a delegation (active -> suspended)")
_step(Step.REACTIVATE, "agency_delegations.manage", "The advertiser resumes a delegation (suspended -> active)")
_step(Step.REVOKE, "agency_delegations.end", "Either side ends a delegation for good (-> revoked)")


@router.route("PUT", ONE + "/permissions", action="agency_delegations.manage", body=PermissionsUpdate,
              response=DelegationRead, summary="Replace a live delegation's permissions (the advertiser)")
def change_permissions(call: Call) -> DelegationRead:
    delegation = service.change_permissions(call.params["delegation_id"], call.body, uow=_uow(call),
                                            actor=call.actor)
    return delegation_read(delegation, service.now())


@router.route("PUT", ONE + "/expiration", action="agency_delegations.manage", body=ExpirationUpdate,
              response=DelegationRead, summary="Set (future) or clear a live delegation's expiry (the advertiser)")
def change_expiration(call: Call) -> DelegationRead:
    delegation = service.change_expiration(call.params["delegation_id"], call.body, uow=_uow(call),
                                           actor=call.actor)
    return delegation_read(delegation, service.now())


@functions_framework.http
def agency_delegations_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
