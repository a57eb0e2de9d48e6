"""partnerships-api: organization associations (invite, request, decide, visibility) and what partners see."""

from __future__ import annotations

import flask
import functions_framework

from shared.db.uow import UnitOfWork
from shared.domain.partnerships import AssociationFilter, AssociationType, Decision
from shared.domain.principal import TenantScope
from shared.http.router import Call, Reply, Router
from shared.schemas.partnerships import (
    AssociationCreate,
    AssociationListQuery,
    AssociationRead,
    AssociationWithDetailsRead,
    DetailsQuery,
    OrganizationAssociationsQuery,
    VisibilityUpdate,
    VisibleAffiliateRead,
    VisibleAffiliatesQuery,
    VisibleCampaignRead,
    VisibleCampaignsQuery,
    association_read,
)
from shared.services import associations as service
from shared.services.associations import AssociationPage

router = Router("partnerships-api", tag="Partnerships")
BASE = "/api/v1/organization-associations"
ONE = BASE + "/<int(min=1, max=9223372036854775807):association_id>"
ORG = "/api/v1/organizations/<int(min=1, max=9223372036854775807):organization_id>"


def _directory(wanted: bool) -> UnitOfWork | None:
    """A system-scoped unit of work, only for partner organizations' names and types (`with_details`)."""
    return UnitOfWork(TenantScope.everything()) if wanted else None


def _page(result: AssociationPage) -> Reply:
    body = [association_read(a, result.organizations) for a in result.items]
    return Reply(body, headers={"X-Total-Count": str(result.total)})


@router.route("POST", BASE + "/invitations", action="associations.create", body=AssociationCreate,
              response=AssociationRead, status=201, summary="Invite an affiliate organization (advertiser side)")
def invite(call: Call) -> AssociationRead:
    association = service.create_association(call.body, AssociationType.INVITATION, uow=UnitOfWork(call.actor.scope),
                                             directory=UnitOfWork(TenantScope.everything()), actor=call.actor)
    return association_read(association)


@router.route("POST", BASE + "/requests", action="associations.create", body=AssociationCreate,
              response=AssociationRead, status=201,
              summary="Ask an advertiser organization to partner (affiliate side)")
def ask(call: Call) -> AssociationRead:
    association = service.create_association(call.body, AssociationType.REQUEST, uow=UnitOfWork(call.actor.scope),
                                             directory=UnitOfWork(TenantScope.everything()), actor=call.actor)
    return association_read(association)


@router.route("GET", BASE, action="associations.read", query=AssociationListQuery,
              response=list[AssociationWithDetailsRead], summary="List the associations your organization is part of")
def list_(call: Call) -> Reply:
    q = call.query
    where = AssociationFilter(q.advertiser_org_id, q.affiliate_org_id, q.status, q.association_type)
    return _page(service.list_associations(where, q.window(), uow=UnitOfWork(call.actor.scope),
                                           directory=_directory(q.with_details), actor=call.actor))


@router.route("GET", ONE, action="associations.read", query=DetailsQuery, response=AssociationWithDetailsRead,
              summary="Get an association (either side)")
def get(call: Call) -> AssociationRead:
    result = service.get_association(call.params["association_id"], uow=UnitOfWork(call.actor.scope),
                                     directory=_directory(call.query.with_details), actor=call.actor)
    return association_read(result.items[0], result.organizations)


def _decide(call: Call, decision: Decision) -> AssociationRead:
    association = service.decide_association(call.params["association_id"], decision,
                                             uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return association_read(association)


@router.route("POST", ONE + "/approve", action="associations.decide", response=AssociationRead,
              summary="Approve a pending association (only the counterpart of whoever asked)")
def approve(call: Call) -> AssociationRead:
    return _decide(call, Decision.APPROVE)


@router.route("POST", ONE + "/reject", action="associations.decide", response=AssociationRead,
              summary="Reject a pending association (only the counterpart of whoever asked)")
def reject(call: Call) -> AssociationRead:
    return _decide(call, Decision.REJECT)


@router.route("POST", ONE + "/suspend", action="associations.decide", response=AssociationRead,
              summary="Suspend an active association (either side)")
def suspend(call: Call) -> AssociationRead:
    return _decide(call, Decision.SUSPEND)


@router.route("POST", ONE + "/reactivate", action="associations.decide", response=AssociationRead,
              summary="Reactivate a suspended association (either side)")
def reactivate(call: Call) -> AssociationRead:
    return _decide(call, Decision.REACTIVATE)


@router.route("PUT", ONE + "/visibility", action="associations.decide", body=VisibilityUpdate,
              response=AssociationRead, summary="Change what each side exposes (never the status)")
def visibility(call: Call) -> AssociationRead:
    association = service.change_visibility(call.params["association_id"], call.body,
                                            uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return association_read(association)


@router.route("GET", ORG + "/associations", action="associations.read", query=OrganizationAssociationsQuery,
              response=list[AssociationWithDetailsRead], summary="An organization's associations (either side)")
def organization_associations(call: Call) -> Reply:
    q = call.query
    where = AssociationFilter(status=q.status, association_type=q.association_type,
                              organization_id=call.params["organization_id"])
    return _page(service.list_associations(where, q.window(), uow=UnitOfWork(call.actor.scope),
                                           directory=_directory(q.with_details), actor=call.actor))


@router.route("GET", ORG + "/visible-affiliates", action="associations.visible", query=VisibleAffiliatesQuery,
              response=list[VisibleAffiliateRead], summary="Affiliates an advertiser organization sees through"
              " its active partnerships")
def visible_affiliates(call: Call) -> Reply:
    # System scope on purpose: the affiliates belong to the partner tenants; the service checks membership.
    items, total = service.visible_affiliates(call.params["organization_id"], call.query.affiliate_org_id,
                                              call.query.window(), uow=UnitOfWork(TenantScope.everything()),
                                              actor=call.actor)
    return Reply([VisibleAffiliateRead.model_validate(i) for i in items], headers={"X-Total-Count": str(total)})


@router.route("GET", ORG + "/visible-campaigns", action="associations.visible", query=VisibleCampaignsQuery,
              response=list[VisibleCampaignRead], summary="Campaigns an affiliate organization sees through"
              " its active partnerships")
def visible_campaigns(call: Call) -> Reply:
    # System scope on purpose: the campaigns belong to the partner tenants; the service checks membership.
    items, total = service.visible_campaigns(call.params["organization_id"], call.query.advertiser_org_id,
                                             call.query.window(), uow=UnitOfWork(TenantScope.everything()),
                                             actor=call.actor)
    return Reply([VisibleCampaignRead.model_validate(i) for i in items], headers={"X-Total-Count": str(total)})


@functions_framework.http
def partnerships_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
