"""campaigns-api: create, read, update and move campaigns through their lifecycle; list them per owner."""

from __future__ import annotations

import flask
import functions_framework

from shared.db.uow import UnitOfWork
from shared.domain.campaigns import Campaign, CampaignStatus
from shared.domain.paging import PageResult
from shared.http.router import Call, Reply, Router, page_headers
from shared.schemas.campaigns import (
    CampaignCreate,
    CampaignList,
    CampaignListQuery,
    CampaignRead,
    CampaignUpdate,
    campaign_read,
)
from shared.services import campaigns as service

router = Router("campaigns-api", tag="Campaigns")
ID = "int(min=1, max=9223372036854775807)"
ONE = f"/api/v1/campaigns/<{ID}:campaign_id>"


@router.route("POST", "/api/v1/campaigns", action="campaigns.create", body=CampaignCreate, response=CampaignRead,
              status=201, summary="Create a campaign (draft unless `status` is active)")
def create(call: Call) -> CampaignRead:
    return campaign_read(service.create_campaign(call.body, uow=UnitOfWork(call.actor.scope), actor=call.actor))


@router.route("GET", ONE, action="campaigns.read", response=CampaignRead, summary="Get a campaign")
def get(call: Call) -> CampaignRead:
    campaign = service.get_campaign(call.params["campaign_id"], uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return campaign_read(campaign)


@router.route("PUT", ONE, action="campaigns.update", body=CampaignUpdate, response=CampaignRead,
              summary="Update a campaign (omitted fields are kept; `status` follows the lifecycle)")
def update(call: Call) -> CampaignRead:
    campaign = service.update_campaign(call.params["campaign_id"], call.body, uow=UnitOfWork(call.actor.scope),
                                       actor=call.actor)
    return campaign_read(campaign)


@router.route("DELETE", ONE, action="campaigns.archive", status=204,
              summary="Archive a campaign (draft or paused; kept for its history)")
def archive(call: Call) -> None:
    _move(call, CampaignStatus.ARCHIVED)


@router.route("POST", ONE + "/activate", action="campaigns.update", response=CampaignRead,
              summary="Activate a draft or paused campaign")
def activate(call: Call) -> CampaignRead:
    return campaign_read(_move(call, CampaignStatus.ACTIVE))


@router.route("POST", ONE + "/pause", action="campaigns.update", response=CampaignRead,
              summary="Pause an active campaign")
def pause(call: Call) -> CampaignRead:
    return campaign_read(_move(call, CampaignStatus.PAUSED))


@router.route("POST", ONE + "/archive", action="campaigns.archive", response=CampaignRead,
              summary="Archive a draft or paused campaign (for good)")
def archive_explicitly(call: Call) -> CampaignRead:
    return campaign_read(_move(call, CampaignStatus.ARCHIVED))


@router.route("GET", f"/api/v1/organizations/<{ID}:organization_id>/campaigns", action="campaigns.read",
              query=CampaignListQuery, response=CampaignList, paged=True, summary="An organization's campaigns")
def list_for_organization(call: Call) -> Reply:
    result = service.list_organization_campaigns(call.params["organization_id"], call.query, call.page,
                                                 uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return _page(result)


@router.route("GET", f"/api/v1/advertisers/<{ID}:advertiser_id>/campaigns", action="campaigns.read",
              query=CampaignListQuery, response=CampaignList, paged=True, summary="An advertiser's campaigns")
def list_for_advertiser(call: Call) -> Reply:
    result = service.list_advertiser_campaigns(call.params["advertiser_id"], call.query, call.page,
                                               uow=UnitOfWork(call.actor.scope), actor=call.actor)
    return _page(result)


def _move(call: Call, target: CampaignStatus) -> Campaign:
    return service.change_status(call.params["campaign_id"], target, uow=UnitOfWork(call.actor.scope),
                                 actor=call.actor)


def _page(result: PageResult[Campaign]) -> Reply:
    body = CampaignList(campaigns=[campaign_read(c) for c in result.items], total=result.total,
                        total_is_lower_bound=result.total_is_lower_bound, page=result.page.page,
                        page_size=result.page.page_size)
    return Reply(body, headers=page_headers(result))


@functions_framework.http
def campaigns_api(request: flask.Request) -> flask.Response:
    return router.dispatch(request)
