"""invitations-api: advertisers' shareable invitation links, their redemption and their public view."""

from __future__ import annotations

import flask
import functions_framework

from shared.db.uow import UnitOfWork
from shared.domain.invitations import InvitationFilter, invitation_link
from shared.domain.principal import TenantScope
from shared.http.router import Call, Reply, Router
from shared.schemas.invitations import (
    InvitationCreate,
    InvitationCreatedRead,
    InvitationDetailRead,
    InvitationLinkRead,
    InvitationListQuery,
    InvitationRead,
    InvitationUpdate,
    InvitationUse,
    LinkQuery,
    PublicInvitationRead,
    RedemptionRead,
    UsageHistoryQuery,
    UsageRead,
    invitation_created,
    invitation_detail,
    invitation_read,
    public_read,
    redemption_read,
    usage_read,
)
from shared.services import invitations as service

router = Router("invitations-api", tag="Invitations")
BASE = "/api/v1/advertiser-association-invitations"
ONE = BASE + "/<int(min=1, max=9223372036854775807):invitation_id>"


def _base_url(call: Call) -> str:
    """Where links point: `?base_url=`, else this API's own scheme and host, as the original did."""
    return str(call.query.base_url or call.request.host_url)


@router.route("POST", BASE, action="invitations.create", body=InvitationCreate, query=LinkQuery,
              response=InvitationCreatedRead, status=201,
              summary="Create an invitation link (its token is shown only in this response)")
def create(call: Call) -> InvitationCreatedRead:
    issued = service.create_invitation(call.body, uow=UnitOfWork(call.actor.scope), actor=call.actor)
    link = invitation_link(_base_url(call), issued.token)
    return invitation_created(issued.invitation, issued.token, link, service.now())


@router.route("GET", BASE, action="invitations.read", query=InvitationListQuery, response=list[InvitationRead],
              summary="List your advertiser organization's invitations")
def list_(call: Call) -> Reply:
    q = call.query
    where = InvitationFilter(q.advertiser_org_id, q.status, q.created_by_user_id, q.include_expired)
    items, total = service.list_invitations(where, q.window(), uow=UnitOfWork(call.actor.scope), actor=call.actor)
    now = service.now()
    return Reply([invitation_read(i, now) for i in items], headers={"X-Total-Count": str(total)})


@router.route("GET", ONE, action="invitations.read", response=InvitationDetailRead, summary="Get an invitation")
def get(call: Call) -> InvitationDetailRead:
    invitation, advertiser = service.get_invitation(call.params["invitation_id"], uow=UnitOfWork(call.actor.scope),
                                                    actor=call.actor)
    return invitation_detail(invitation, advertiser, service.now())


@router.route("PUT", ONE, action="invitations.manage", body=InvitationUpdate, response=InvitationRead,
              summary="Update an invitation (omitted fields are kept)")
def update(call: Call) -> InvitationRead:
    invitation = service.update_invitation(call.params["invitation_id"], call.body,
                                           uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return invitation_read(invitation, service.now())


@router.route("DELETE", ONE, action="invitations.manage", status=204,
              summary="Disable an invitation (its usage history is kept)")
def disable(call: Call) -> None:
    service.disable_invitation(call.params["invitation_id"], uow=UnitOfWork(call.actor.scope), actor=call.actor)


@router.route("GET", ONE + "/usage-history", action="invitations.manage", query=UsageHistoryQuery,
              response=list[UsageRead], summary="Every redemption attempt of an invitation, newest first")
def usage_history(call: Call) -> Reply:
    items, total = service.usage_history(call.params["invitation_id"], call.query.window(),
                                         uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return Reply([usage_read(i) for i in items], headers={"X-Total-Count": str(total)})


@router.route("GET", ONE + "/link", action="invitations.manage", status=409,
              summary="Always 409: tokens are stored hashed, so a link exists only at creation or rotation")
def link(call: Call) -> None:
    service.existing_link(call.params["invitation_id"], uow=UnitOfWork(call.actor.scope), actor=call.actor)


@router.route("POST", ONE + "/rotate-token", action="invitations.manage", query=LinkQuery,
              response=InvitationLinkRead, summary="Issue a new token and link (the old link stops working)")
def rotate_token(call: Call) -> InvitationLinkRead:
    issued = service.rotate_token(call.params["invitation_id"], uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return InvitationLinkRead(invitation_id=issued.invitation.invitation_id, invitation_token=issued.token,
                              invitation_link=invitation_link(_base_url(call), issued.token))


@router.route("POST", BASE + "/use", action="invitations.use", body=InvitationUse, response=RedemptionRead,
              summary="Redeem a token into a pending request (refusals are 403/409/410/422, each logged)")
def use(call: Call) -> RedemptionRead:
    client = service.Client(call.actor.client_ip, call.request.user_agent.string or None)
    # System scope on purpose: the invitation belongs to another tenant; the service checks membership.
    association, invitation = service.use_invitation(call.body, client, uow=UnitOfWork(TenantScope.everything()),
                                                     actor=call.actor)
    return redemption_read(association, invitation, service.now())


@router.route("GET", "/api/v1/public/invitations/<string(length=64):token>", action=None,
              response=PublicInvitationRead, summary="What an invitation link shows (no personal data)")
def public(call: Call) -> PublicInvitationRead:
    # System scope on purpose: the token is the only credential; nothing personal is returned.
    invitation, advertiser = service.public_view(call.params["token"], uow=UnitOfWork(TenantScope.everything()))
    return public_read(invitation, advertiser, service.now())


@functions_framework.http
def invitations_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
